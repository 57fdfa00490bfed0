/**
 * `npm run bench:archive-queries`: how fast the archive's read API answers at scale, beside baselines measured
 * in the same run on the same data.
 *
 * 1. Seeds (once per size; BENCH_RESEED=1 to redo) BENCH_EVENTS archived events of realistic transfer stories
 *    into database `rm_bench`, schema `rm_q_<events>` (see seed.ts: COPY through psql, indexes rebuilt after).
 * 2. Starts the built archive app on it and calls each read endpoint BENCH_ITERATIONS times in a row with
 *    varying parameters, after a warm-up. The time reported is **server-side: the time inside the archive's HTTP
 *    handler** (its `Server-Timing: handler;dur=` header: query checks, the store's queries, building the
 *    answer; without HTTP and JSON serialisation). The client round trip is reported beside it.
 * 3. Baselines, run as plain SQL on the same database (wall time of the statement from a pg client): the deep
 *    page with OFFSET instead of the keyset cursor, and an organisation's transfers computed from
 *    archived_events without the read model (what the pre-change schema would have to do).
 * 4. EXPLAIN (ANALYZE, BUFFERS) of the statements the store runs, printed into the results.
 *
 * Results: bench/results/console.md (+ .json) below 5 M events, bench/results/archive-queries.md (+ .json) from
 * 5 M up (BENCH_OUTPUT overrides). Env: BENCH_EVENTS (default 1000000), BENCH_ITERATIONS (default 200),
 * BENCH_DATABASE_URL (the server; its database part is replaced; default postgres://postgres@127.0.0.1:5432), KAFKA_BROKERS (default: a private
 * local broker).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { seedArchive, type SeedResult } from './seed';
import { type RetentionResult, measureRetention } from './retention-bench';
import { REPO_ROOT, kafkaForBench, runArchive } from './run-archive';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200);
const SERVER = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const withDatabase = (name: string): string => {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
};
const DB_URL = withDatabase('rm_bench');
const SCHEMA = `rm_q_${EVENTS}`;
const OUTPUT = process.env['BENCH_OUTPUT'] ?? (EVENTS >= 5_000_000 ? 'archive-queries' : 'console');
const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const DEEP_ROWS = 20_000;

interface Timing {
  name: string;
  path: string;
  n: number;
  p50: number;
  p95: number;
  max: number;
  clientP50?: number;
  clientP95?: number;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
};

function summary(name: string, path: string, server: number[], client?: number[]): Timing {
  return {
    name,
    path,
    n: server.length,
    p50: pct(server, 50),
    p95: pct(server, 95),
    max: pct(server, 100),
    ...(client ? { clientP50: pct(client, 50), clientP95: pct(client, 95) } : {}),
  };
}

async function ensureDatabase(): Promise<void> {
  const admin = new Client({ connectionString: withDatabase('postgres') });
  await admin.connect();
  try {
    const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'rm_bench'`);
    if (exists.rowCount === 0) await admin.query('CREATE DATABASE rm_bench');
  } finally {
    await admin.end();
  }
}

/** Calls `path(i)` ITERATIONS times after a warm-up; returns the handler and round-trip times. */
async function measure(base: string, name: string, path: (i: number) => string): Promise<Timing> {
  const server: number[] = [];
  const client: number[] = [];
  const warmup = Math.min(20, ITERATIONS);
  for (let i = 0; i < warmup + ITERATIONS; i++) {
    const p = path(i);
    const t0 = performance.now();
    const res = await fetch(base + p);
    await res.arrayBuffer();
    const rtt = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
    const dur = /handler;dur=([0-9.]+)/.exec(res.headers.get('server-timing') ?? '');
    if (!dur) throw new Error(`${p} has no Server-Timing header`);
    if (i >= warmup) {
      server.push(Number(dur[1]));
      client.push(rtt);
    }
  }
  const t = summary(name, path(0), server, client);
  process.stdout.write(`  ${name}: p50 ${t.p50} ms, p95 ${t.p95} ms\n`);
  return t;
}

async function sqlTiming(
  db: Client,
  name: string,
  n: number,
  sql: string,
  params: (i: number) => unknown[],
): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = performance.now();
    await db.query(sql, params(i));
    if (i >= 2) times.push(performance.now() - t0);
  }
  const t = summary(name, sql.replace(/\s+/g, ' ').trim(), times);
  process.stdout.write(`  ${name}: p50 ${t.p50} ms, p95 ${t.p95} ms\n`);
  return t;
}

async function explain(db: Client, sql: string, params: unknown[]): Promise<string> {
  const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

/** The goals of issue #15: console searches and timelines at 1 M, the read API's lookups at 10 M. */
function targets(api: Timing[]): string[] {
  const check = (names: RegExp, limit: number): string[] =>
    api
      .filter((t) => names.test(t.name))
      .map(
        (t) =>
          `- ${t.name}: p95 ${t.p95} ms ${t.p95 < limit ? '<' : '≥'} ${limit} ms — ${t.p95 < limit ? 'met' : '**missed**'}`,
      );
  return OUTPUT === 'console'
    ? ['Search and timeline p95 < 100 ms at 1 M events:', '', ...check(/^transfer search|timeline/, 100)]
    : [
        'The read API lookups p95 < 10 ms at 10 M events:',
        '',
        ...check(
          /^(one event by id|a transfer's events|a time-range page|transfer search by organisation( \(| \+ resource))/,
          10,
        ),
      ];
}

async function main(): Promise<void> {
  await ensureDatabase();
  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  const kafka = await kafkaForBench(19496);
  let archive: Awaited<ReturnType<typeof runArchive>> | undefined;
  try {
    if (process.env['BENCH_RESEED'] === '1') await db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    archive = await runArchive(kafka.brokers, DB_URL, SCHEMA);
    const s = (t: string) => `"${SCHEMA}".${t}`;
    const have = Number(
      (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${s('archived_events')}`)).rows[0].n,
    );
    let seeded: SeedResult | undefined;
    if (have < EVENTS * 0.9) {
      if (have > 0) throw new Error(`${SCHEMA} holds ${have} events, not ${EVENTS}: run with BENCH_RESEED=1`);
      process.stdout.write(`seeding ${EVENTS} events into rm_bench.${SCHEMA}…\n`);
      seeded = await seedArchive({
        databaseUrl: DB_URL,
        schema: SCHEMA,
        events: EVENTS,
        log: (line) => process.stdout.write(`  ${line}\n`),
      });
      process.stdout.write(`seeded: ${JSON.stringify(seeded)}\n`);
    } else {
      process.stdout.write(`rm_bench.${SCHEMA} already holds ${have} events\n`);
      // A schema seeded before migration 3 had transfer_orgs.resource backfilled by the archive's start just now:
      // that UPDATE left a dead version of every row and no statistics on the column. Measure a settled table.
      await db.query(`VACUUM ANALYZE ${s('transfer_orgs')}`);
    }

    const counts = (
      await db.query<{ events: string; transfers: string; deliveries: string; size: string }>(
        `SELECT (SELECT count(*) FROM ${s('archived_events')})::text AS events,
                (SELECT count(*) FROM ${s('transfers')})::text AS transfers,
                (SELECT count(*) FROM ${s('deliveries')})::text AS deliveries,
                pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [SCHEMA],
      )
    ).rows[0];

    // Parameter pools drawn from the data.
    const sample = async (sql: string): Promise<string[]> =>
      (await db.query<{ v: string }>(sql)).rows.map((r) => r.v);
    const orgs = await sample(`SELECT DISTINCT org AS v FROM ${s('transfer_orgs')}`);
    const resources = await sample(`SELECT DISTINCT resource AS v FROM ${s('transfers')}`);
    // A block sample where the table is big enough for one, else every row; then shuffled.
    const rows = async (column: string, table: string, n: number): Promise<string[]> => {
      const sampled = await sample(
        `SELECT ${column} AS v FROM ${s(table)} TABLESAMPLE SYSTEM (0.5) LIMIT ${n}`,
      );
      const all =
        sampled.length >= n / 2
          ? sampled
          : await sample(`SELECT ${column} AS v FROM ${s(table)} LIMIT 20000`);
      return all.sort(() => Math.random() - 0.5).slice(0, n);
    };
    const transfers = await rows('file_transfer_id', 'transfers', 500);
    const eventIds = await rows('id', 'archived_events', 500);
    const types = await sample(`SELECT DISTINCT last_type AS v FROM ${s('transfers')}`);
    const span = (
      await db.query<{ lo: Date; hi: Date }>(
        `SELECT min(last_time) AS lo, max(last_time) AS hi FROM ${s('transfers')}`,
      )
    ).rows[0];
    const week = 7 * 86_400_000;
    const windowAt = (i: number): [string, string] => {
      const from =
        span.lo.getTime() + (((i * 7919) % 1000) / 1000) * (span.hi.getTime() - span.lo.getTime() - week);
      return [new Date(from).toISOString(), new Date(from + week).toISOString()];
    };
    const pick = <T>(xs: T[], i: number): T => xs[(i * 7919) % xs.length];
    const enc = encodeURIComponent;

    // The archive's answers agree with the seeded summaries (same contracts logic on both sides).
    for (const id of transfers.slice(0, 20)) {
      const res = (await (await fetch(`${archive.url}/archive/transfers/${id}`)).json()) as {
        transfer: { eventCount: number; state: unknown };
        events: unknown[];
      };
      if (res.events.length !== res.transfer.eventCount)
        throw new Error(
          `transfer ${id}: ${res.events.length} events, summary says ${res.transfer.eventCount}`,
        );
    }

    // A cursor DEEP_ROWS transfers deep, reached by following `next`.
    let cursor = '';
    for (let seen = 0; seen < DEEP_ROWS; seen += 200) {
      const page = (await (
        await fetch(`${archive.url}/archive/transfers?limit=200${cursor ? `&after=${cursor}` : ''}`)
      ).json()) as { next?: string };
      if (!page.next) break;
      cursor = page.next;
    }

    process.stdout.write(`measuring the read API (${ITERATIONS} calls each, handler time)…\n`);
    const base = archive.url;
    const api: Timing[] = [];
    api.push(await measure(base, 'transfer search, first page (no filter)', () => '/archive/transfers'));
    api.push(
      await measure(
        base,
        "transfer search by organisation (an organisation's transfers)",
        (i) => `/archive/transfers?org=${pick(orgs, i)}`,
      ),
    );
    api.push(
      await measure(
        base,
        'transfer search by resource',
        (i) => `/archive/transfers?resource=${enc(pick(resources, i))}`,
      ),
    );
    api.push(
      await measure(
        base,
        'transfer search by last event type',
        (i) => `/archive/transfers?type=${enc(pick(types, i))}`,
      ),
    );
    api.push(
      await measure(base, 'transfer search by time range (7 days)', (i) => {
        const [f, t] = windowAt(i);
        return `/archive/transfers?from=${f}&to=${t}`;
      }),
    );
    api.push(
      await measure(
        base,
        'transfer search by organisation + resource',
        (i) => `/archive/transfers?org=${pick(orgs, i)}&resource=${enc(pick(resources, i))}`,
      ),
    );
    api.push(
      await measure(
        base,
        `transfer search, keyset page ${DEEP_ROWS} rows deep`,
        () => `/archive/transfers?after=${cursor}`,
      ),
    );
    api.push(
      await measure(
        base,
        "one transfer's timeline (events + deliveries)",
        (i) => `/archive/transfers/${pick(transfers, i)}`,
      ),
    );
    api.push(await measure(base, 'one event by id', (i) => `/archive/events/${pick(eventIds, i)}`));
    api.push(
      await measure(
        base,
        "a transfer's events",
        (i) => `/archive/file-transfers/${pick(transfers, i)}/events`,
      ),
    );
    api.push(
      await measure(base, 'a time-range page (100 events)', (i) => {
        const [f] = windowAt(i);
        return `/archive/events?from=${f}&to=${new Date(Date.parse(f) + 3_600_000).toISOString()}&limit=100`;
      }),
    );
    api.push(
      await measure(
        base,
        'attention report',
        () => '/archive/attention?unconfirmedAfter=86400&quietAfter=21600',
      ),
    );
    api.push(
      await measure(
        base,
        'deliveries list (dead-lettered)',
        () => '/archive/deliveries?outcome=dead-lettered',
      ),
    );

    process.stdout.write('baselines (plain SQL, same data)…\n');
    const deepCursor = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const keysetSql = `SELECT t.* FROM ${s('transfers')} t WHERE (t.last_time, t.file_transfer_id) < ($1::timestamptz, $2) ORDER BY t.last_time DESC, t.file_transfer_id DESC LIMIT 51`;
    const offsetSql = `SELECT t.* FROM ${s('transfers')} t ORDER BY t.last_time DESC, t.file_transfer_id DESC OFFSET ${DEEP_ROWS} LIMIT 51`;
    const orgSql = `SELECT t.* FROM ${s('transfer_orgs')} o JOIN ${s('transfers')} t ON t.file_transfer_id = o.file_transfer_id WHERE o.org = $1 ORDER BY o.last_time DESC, o.file_transfer_id DESC LIMIT 51`;
    // What the API runs for ?org=&resource= (the stores' searchSql): the (org, resource, last_time, id) index.
    const orgResourceSql = `SELECT t.* FROM ${s('transfer_orgs')} o JOIN ${s('transfers')} t ON t.file_transfer_id = o.file_transfer_id WHERE o.org = $1 AND o.resource = $2 ORDER BY o.last_time DESC, o.file_transfer_id DESC LIMIT 51`;
    const noReadModelOrgSql = `SELECT resourceinstance, max(time) AS last_time, count(*) FROM ${s('archived_events')} WHERE subject = $1 OR subject = $2 GROUP BY resourceinstance ORDER BY last_time DESC LIMIT 51`;
    const baselines: Timing[] = [
      await sqlTiming(
        db,
        `SQL: keyset page ${DEEP_ROWS} rows deep (what the API runs)`,
        50,
        keysetSql,
        () => deepCursor,
      ),
      await sqlTiming(db, `SQL baseline: the same page with OFFSET ${DEEP_ROWS}`, 50, offsetSql, () => []),
      await sqlTiming(
        db,
        "SQL: an organisation's transfers via transfer_orgs (what the API runs)",
        50,
        orgSql,
        (i) => [pick(orgs, i)],
      ),
      await sqlTiming(
        db,
        "SQL baseline: an organisation's transfers from archived_events (no read model)",
        5,
        noReadModelOrgSql,
        (i) => [`urn:altinn:organization:identifier-no:${pick(orgs, i)}`, `/organisation/${pick(orgs, i)}`],
      ),
    ];

    const load = loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ');

    let retention: RetentionResult | undefined;
    // Destructive (deletes about 2 % of the seeded transfers), so it runs last; on by default at 5 M and up.
    const runRetention = async (): Promise<void> => {
      if ((process.env['BENCH_RETENTION'] ?? (OUTPUT === 'console' ? '0' : '1')) !== '1') return;
      process.stdout.write('retention (expiring about 2 % of the transfers)…\n');
      await archive?.stop();
      archive = undefined;
      retention = await measureRetention(kafka.brokers, db, DB_URL, SCHEMA, 0.02, 5_000);
      process.stdout.write(`  ${JSON.stringify(retention)}\n`);
    };

    process.stdout.write('EXPLAIN…\n');
    const [f, t] = windowAt(3);
    const plans: [string, string][] = [
      [
        'transfer search, first page',
        await explain(
          db,
          `SELECT t.* FROM ${s('transfers')} t ORDER BY t.last_time DESC, t.file_transfer_id DESC LIMIT 51`,
          [],
        ),
      ],
      ['transfer search by organisation', await explain(db, orgSql, [orgs[0]])],
      [
        'transfer search by organisation + resource',
        await explain(db, orgResourceSql, [pick(orgs, 0), pick(resources, 0)]),
      ],
      [
        'transfer search by resource',
        await explain(
          db,
          `SELECT t.* FROM ${s('transfers')} t WHERE t.resource = $1 ORDER BY t.last_time DESC, t.file_transfer_id DESC LIMIT 51`,
          [resources[0]],
        ),
      ],
      [
        'transfer search by last type',
        await explain(
          db,
          `SELECT t.* FROM ${s('transfers')} t WHERE t.last_type = $1 ORDER BY t.last_time DESC, t.file_transfer_id DESC LIMIT 51`,
          ['no.altinn.broker.uploadfailed'],
        ),
      ],
      [
        'transfer search by time range',
        await explain(
          db,
          `SELECT t.* FROM ${s('transfers')} t WHERE t.last_time >= $1 AND t.last_time < $2 ORDER BY t.last_time DESC, t.file_transfer_id DESC LIMIT 51`,
          [f, t],
        ),
      ],
      [`keyset page ${DEEP_ROWS} deep`, await explain(db, keysetSql, deepCursor)],
      [`baseline: OFFSET ${DEEP_ROWS}`, await explain(db, offsetSql, [])],
      [
        'timeline: the transfer',
        await explain(db, `SELECT * FROM ${s('transfers')} WHERE file_transfer_id = $1`, [transfers[0]]),
      ],
      [
        "timeline / a transfer's events",
        await explain(
          db,
          `SELECT * FROM ${s('archived_events')} WHERE resourceinstance = $1 ORDER BY time NULLS LAST, received_at LIMIT 1000`,
          [transfers[0]],
        ),
      ],
      [
        "timeline: the transfer's deliveries",
        await explain(
          db,
          `SELECT * FROM ${s('deliveries')} WHERE file_transfer_id = $1 ORDER BY at, consumer, attempt`,
          [transfers[0]],
        ),
      ],
      [
        'one event by id',
        await explain(db, `SELECT * FROM ${s('archived_events')} WHERE id = $1 ORDER BY source`, [
          eventIds[0],
        ]),
      ],
      [
        'a time-range page',
        await explain(
          db,
          `SELECT * FROM ${s('archived_events')} WHERE time >= $1 AND time < $2 ORDER BY time, source, id LIMIT 100`,
          [f, new Date(Date.parse(f) + 3_600_000).toISOString()],
        ),
      ],
      [
        'attention: unconfirmed',
        await explain(
          db,
          `SELECT * FROM ${s('transfers')} WHERE awaiting_confirmation AND published_at < $1 ORDER BY published_at LIMIT 50`,
          [new Date(Date.now() - 86_400_000).toISOString()],
        ),
      ],
      [
        'attention: upload failed',
        await explain(
          db,
          `SELECT * FROM ${s('transfers')} WHERE phase = 'uploadfailed' ORDER BY last_time DESC LIMIT 50`,
          [],
        ),
      ],
      [
        'attention: dead-lettered',
        await explain(
          db,
          `SELECT d.* FROM ${s('deliveries')} d WHERE d.outcome = 'dead-lettered' AND NOT EXISTS (SELECT 1 FROM ${s('deliveries')} l WHERE l.consumer = d.consumer AND l.event_source = d.event_source AND l.event_id = d.event_id AND l.at > d.at) ORDER BY d.at DESC LIMIT 50`,
          [],
        ),
      ],
      [
        'attention: quiet resources',
        await explain(
          db,
          `WITH RECURSIVE r(resource) AS (SELECT min(resource) FROM ${s('transfers')} UNION ALL SELECT (SELECT min(resource) FROM ${s('transfers')} t WHERE t.resource > r.resource) FROM r WHERE r.resource IS NOT NULL) SELECT resource, last FROM (SELECT r.resource, (SELECT max(last_received_at) FROM ${s('transfers')} t WHERE t.resource = r.resource) AS last FROM r WHERE r.resource IS NOT NULL) x WHERE last < $1 ORDER BY last LIMIT 50`,
          [new Date(Date.now() - 21_600_000).toISOString()],
        ),
      ],
      [
        `baseline: an organisation's transfers without the read model`,
        await explain(db, noReadModelOrgSql, [
          `urn:altinn:organization:identifier-no:${orgs[0]}`,
          `/organisation/${orgs[0]}`,
        ]),
      ],
    ];

    await runRetention();

    const version = (await db.query<{ v: string }>('SELECT version() AS v')).rows[0].v;
    const settings = (
      await db.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost')`,
      )
    ).rows
      .map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`)
      .join(', ');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: version,
      postgresSettings: settings,
      pg: pkg.dependencies['pg'],
    };
    const table = (rows: Timing[], client: boolean) => [
      `| query | p50 ms | p95 ms | max ms |${client ? ' round trip p50 / p95 ms |' : ''} example |`,
      `| --- | ---: | ---: | ---: |${client ? ' ---: |' : ''} --- |`,
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.p50} | ${r.p95} | ${r.max} |${client ? ` ${r.clientP50} / ${r.clientP95} |` : ''} \`${r.path.length > 90 ? r.path.slice(0, 90) + '…' : r.path}\` |`,
      ),
    ];
    const md = [
      OUTPUT === 'console'
        ? '# Archive read API for the console at 1 M events'
        : `# Archive read API at ${(EVENTS / 1e6).toFixed(0)} M events`,
      '',
      `Measured ${new Date().toISOString()} by \`BENCH_EVENTS=${EVENTS} npm run bench:archive-queries\` (tools/archive-bench/src/query-bench.ts).`,
      '',
      `Data: ${counts.events} archived events, ${counts.transfers} transfers, ${counts.deliveries} delivery reports (${counts.size} with indexes) in database \`rm_bench\`, schema \`${SCHEMA}\`: transfer stories over two years (initialized → uploadprocessing → published to the sender and 1–3 recipients → downloadconfirmed … → allconfirmed / neverconfirmed → purged; 4 % upload failures; the newest still in flight), 400 organisations, 300 resources (skewed).`,
      seeded
        ? `Seeding: ${seeded.events} events in ${seeded.seconds} s (${seeded.eventsPerSecond} events/s, COPY through psql; ${seeded.indexSeconds} s of it rebuilding the indexes).`
        : 'Seeding: reused the schema seeded by an earlier run of the same size.',
      '',
      `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, pg ${machine.pg}; ${version}; ${settings}. Other work was running on the machine at the same time.`,
      '',
      '## Read API (server-side: time inside the archive HTTP handler)',
      '',
      `${ITERATIONS} sequential calls per row after 20 warm-up calls, parameters varied over samples of the data; p50/p95/max of the handler time from the \`Server-Timing\` header, the client round trip on localhost beside it.`,
      '',
      ...table(api, true),
      '',
      `Load average during the run (1 / 5 / 15 min): ${load} on ${cpus().length} CPUs (other helpers' builds and tests ran at the same time, so the tail latencies include waiting for a CPU; the EXPLAIN ANALYZE execution times below show the database's own cost).`,
      '',
      '## Targets',
      '',
      ...targets(api),
      '',
      '## Baselines (same run, same data; wall time of the SQL statement from a pg client)',
      '',
      ...table(baselines, false),
      '',
      ...(retention
        ? [
            '## Retention (ARCHIVE_RETENTION_DAYS)',
            '',
            `A second archive process on the same data with \`ARCHIVE_RETENTION_DAYS=${retention.days}\` (about 2 % of the transfers expired; \`ARCHIVE_RETENTION_BATCH\` 500 transfers per transaction). It deleted ${retention.transfersDeleted} transfers, ${retention.eventsDeleted} events and ${retention.deliveriesDeleted} delivery reports (plus their transfer_orgs rows) in ${retention.seconds} s: **${retention.rowsPerSecond} rows/s** (transfers + events + reports).`,
            '',
            `Effect on ingest (the same process, bursts of ${retention.burst} events, each a new transfer, through Kafka): ${retention.ingestBaselineEventsPerSecond} events/s before the retention started (baseline), ${retention.ingestDuringRetentionEventsPerSecond} events/s while it ran.`,
            '',
          ]
        : []),
      '## Query plans (EXPLAIN ANALYZE, BUFFERS)',
      '',
      ...plans.flatMap(([name, plan]) => [`### ${name}`, '', '```', plan, '```', '']),
    ].join('\n');
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${OUTPUT}.md`), md + '\n');
    writeFileSync(
      join(RESULTS_DIR, `${OUTPUT}.json`),
      JSON.stringify(
        { when: new Date().toISOString(), events: EVENTS, counts, seeded, machine, api, baselines },
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(`\nresults: bench/results/${OUTPUT}.md\n`);
  } finally {
    await archive?.stop();
    await kafka.stop();
    await db.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:archive-queries failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
