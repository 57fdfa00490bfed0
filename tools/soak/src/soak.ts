import { type Reconciliation, Ledger, is2xx } from './accounting';
import { type ArchiveDb, archivedRowsById } from './archive-rows';
import { resendUntilAccepted, type SteadyLoadResult, steadyLoad } from './load';
import { cpuSecondsOf, machineCpuSeconds, sleep, until } from './processes';
import { type Settlement, isSettled, kafkaFor, settlement } from './settlement';
import { randomUUID } from 'node:crypto';
import { setPriority } from 'node:os';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { MailCounter } from './mail-counter';
import type { AppProcess } from './processes';
import { type PrivateKafka, startEmail, startGatewayAndArchive, startPrivateKafka } from './system';

export interface SoakOptions {
  /** How long to hold the rate. */
  durationMs: number;
  /** Events per second. */
  rate: number;
  archiveDb: ArchiveDb;
  /**
   * Runs the email consumer too, with one routing rule that mails every `mailEvery`-th event (by resource, as
   * users route mail) to one address, and counts the mails per event.
   */
  email?: { mailEvery: number };
  /** An existing broker; unset starts a private one for the run. */
  brokers?: string;
  /** How long to wait for the archive to catch up after the load. */
  settleTimeoutMs?: number;
  /**
   * For the consumers (archive, email): extra environment, and a CPU niceness (0 = the gateway's; 10 gives them
   * about a tenth of its CPU weight when the machine is busy, as a larger CPU request gives the gateway in
   * Kubernetes). The gateway always runs at niceness 0.
   */
  consumers?: { env?: Record<string, string>; nice?: number };
  log?: (line: string) => void;
}

/** The resource of the events the soak's email rule mails. */
export const MAILED_RESOURCE = 'altinn-broker-soak-mailed';

export interface SoakReport {
  rate: number;
  durationS: number;
  load: SteadyLoadResult;
  reconciliation: Reconciliation;
  settlement: Settlement;
  /** Gateway answer times of the 2xx answers, ms. */
  gatewayLatencyMs: { p50: number; p99: number; max: number };
  /** With `email`: the same accounting held against the mails received per event. */
  mail?: { reconciliation: Reconciliation; settlement: Settlement; unmarked: number };
  /** Highest RSS seen during the run, MiB, per app. */
  rssMaxMiB: Record<string, number>;
  /** Highest RSS in each minute of the load, MiB, per app: a leak shows as a last minute well above the first. */
  rssByMinuteMiB: Record<string, number[]>;
  /**
   * CPU seconds used during the load: per app, this process (the load generator), the rest of the machine
   * (broker, PostgreSQL, anything else) and the machine's busy and total seconds (summed over cores).
   */
  cpuSeconds?: {
    apps: Record<string, number>;
    loadGenerator: number;
    rest: number;
    busy: number;
    total: number;
  };
}

/** Peaks per time slot: `note(value, atMs)` keeps the highest value seen in the slot `atMs` falls into. */
export class SlotPeaks {
  readonly peaks: number[] = [];

  constructor(
    private readonly startMs: number,
    private readonly slotMs = 60_000,
  ) {}

  note(value: number, atMs: number): void {
    const slot = Math.max(0, Math.floor((atMs - this.startMs) / this.slotMs));
    for (let i = this.peaks.length; i <= slot; i++) this.peaks.push(0);
    this.peaks[slot] = Math.max(this.peaks[slot], value);
  }

  /** The highest value noted in any slot (0 when none). */
  get max(): number {
    return Math.max(0, ...this.peaks);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}

/**
 * Holds `rate` events/s against the gateway for `durationMs`, resends what got no 2xx (as Altinn does),
 * waits for the archive to settle, then counts every event's archive rows: the one loss/duplicate accounting
 * that `npm run soak` and the CI short soak (apps/system-e2e) both use.
 */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => undefined);
  let kafka: PrivateKafka | undefined;
  const brokers = opts.brokers ?? (kafka = await startPrivateKafka()).brokers;
  log(`broker ${brokers}`);
  const system = await startGatewayAndArchive({
    brokers,
    archiveDb: opts.archiveDb,
    archiveEnv: opts.consumers?.env,
  });
  const nice = (app: AppProcess): void => {
    if (opts.consumers?.nice) setPriority(app.pid, opts.consumers.nice);
  };
  nice(system.archive);
  const mails = opts.email ? new MailCounter() : undefined;
  let email: AppProcess | undefined;
  const admin = kafkaFor(brokers, 'soak-admin');
  try {
    if (mails) {
      await mails.start();
      email = await startEmail({
        brokers,
        smtpPort: mails.port,
        archiveDb: opts.archiveDb,
        mailedResource: MAILED_RESOURCE,
        env: opts.consumers?.env,
      });
      nice(email);
    }
    const apps: AppProcess[] = [system.gateway, system.archive, ...(email ? [email] : [])];
    const ledger = new Ledger();
    const mailedIds = new Set<string>();
    let made = 0;
    const unanswered = new Map<string, string>();
    const latencies: number[] = [];
    const start = Date.now();
    const rss = new Map(apps.map((a) => [a.app, new SlotPeaks(start)]));
    const sampleRss = (): void => {
      const at = Date.now();
      for (const a of apps) rss.get(a.app)?.note(a.rssMiB(), at);
    };
    sampleRss();
    const sampler = setInterval(sampleRss, 1000);
    const cpuAt = () => ({
      apps: apps.map((a) => cpuSecondsOf(a.pid)),
      self: process.cpuUsage(),
      machine: machineCpuSeconds(),
    });
    const cpuBefore = cpuAt();
    const progress = setInterval(
      () => log(`sent ${ledger.ids().length}, accepted ${ledger.acceptedIds().length}`),
      10_000,
    );
    let load: SteadyLoadResult;
    try {
      load = await steadyLoad({
        url: system.webhook,
        rate: opts.rate,
        durationMs: opts.durationMs,
        ledger,
        // The file transfer id is the event id, so a mail's X-Altinn-File-Transfer-Id names its event; the
        // time is now, as Altinn's would be (an old event may be summarised instead of mailed).
        makeEvent: () => {
          const id = randomUUID();
          const mailed = opts.email !== undefined && ++made % opts.email.mailEvery === 0;
          if (mailed) mailedIds.add(id);
          return sampleEventBody({
            id,
            resourceinstance: id,
            time: new Date().toISOString(),
            ...(mailed ? { resource: `urn:altinn:resource:${MAILED_RESOURCE}` } : {}),
          });
        },
        onAnswer: (s) => {
          if (is2xx(s.answer)) {
            latencies.push(s.answeredAt - s.sentAt);
            unanswered.delete(s.id);
          } else unanswered.set(s.id, s.body);
        },
      });
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const cpuAfter = cpuAt();
    const round1 = (n: number) => Math.round(n * 10) / 10;
    const appCpu = apps.map((a, i) => [a.app, round1(cpuAfter.apps[i] - cpuBefore.apps[i])] as const);
    const selfCpu = process.cpuUsage(cpuBefore.self);
    const loadGenerator = round1((selfCpu.user + selfCpu.system) / 1e6);
    const busy = round1(cpuAfter.machine.busy - cpuBefore.machine.busy);
    const cpuSeconds = {
      apps: Object.fromEntries(appCpu),
      loadGenerator,
      rest: round1(busy - loadGenerator - appCpu.reduce((sum, [, s]) => sum + s, 0)),
      busy,
      total: round1(cpuAfter.machine.total - cpuBefore.machine.total),
    };
    log(
      `load done: ${load.attempted} sent in ${load.elapsedMs} ms; resending ${unanswered.size} without a 2xx`,
    );
    await resendUntilAccepted(system.webhook, unanswered, ledger, 60_000);

    const accepted = ledger.acceptedIds();
    const settleTimeoutMs = opts.settleTimeoutMs ?? 120_000;
    let last: Settlement = await settlement(admin, 'archive');
    await until(
      'the archive to settle',
      async () => {
        last = await settlement(admin, 'archive');
        if (!isSettled(last)) return false;
        const rows = await archivedRowsById(opts.archiveDb);
        if (!accepted.every((id) => rows.has(id))) return false;
        if (!mails) return true;
        if (!isSettled(await settlement(admin, 'email'))) return false;
        return accepted.every((id) => !mailedIds.has(id) || mails.byTransfer.has(id));
      },
      settleTimeoutMs,
      500,
    ).catch((e: unknown) => log(String(e)));
    // A little longer, so a late duplicate would still show up.
    await sleep(1000);
    last = await settlement(admin, 'archive');
    const reconciliation = ledger.reconcile(await archivedRowsById(opts.archiveDb));
    const mail = mails && {
      reconciliation: ledger.only(mailedIds).reconcile(mails.byTransfer),
      settlement: await settlement(admin, 'email'),
      unmarked: mails.unmarked,
    };
    latencies.sort((a, b) => a - b);
    const loadMinutes = Math.ceil(opts.durationMs / 60_000);
    return {
      rate: opts.rate,
      durationS: Math.round(opts.durationMs / 1000),
      load,
      reconciliation,
      settlement: last,
      gatewayLatencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
      },
      ...(mail ? { mail } : {}),
      rssMaxMiB: Object.fromEntries([...rss].map(([app, p]) => [app, p.max])),
      // Only the minutes of load: the sampler's last tick may open a slot of a second or two.
      rssByMinuteMiB: Object.fromEntries([...rss].map(([app, p]) => [app, p.peaks.slice(0, loadMinutes)])),
      cpuSeconds,
    };
  } finally {
    await email?.stop();
    await mails?.stop();
    await system.stop();
    await kafka?.destroy();
  }
}

/** One line per finding; empty when nothing was lost, duplicated or stuck. */
export function soakProblems(r: SoakReport): string[] {
  const c = r.reconciliation;
  const out: string[] = [];
  if (c.lost.length > 0)
    out.push(`${c.lost.length} accepted event(s) lost, e.g. ${c.lost.slice(0, 3).join(', ')}`);
  if (c.duplicated.length > 0)
    out.push(
      `${c.duplicated.length} event(s) archived more than once, e.g. ${c.duplicated.slice(0, 3).join(', ')}`,
    );
  if (c.neverAccepted > 0) out.push(`${c.neverAccepted} event(s) never accepted, even after resending`);
  if (c.unexpected.length > 0) out.push(`${c.unexpected.length} archive row(s) for ids never sent`);
  if (!isSettled(r.settlement))
    out.push(`archive not settled: source lag ${r.settlement.sourceLag}, retry lag ${r.settlement.retryLag}`);
  if (r.settlement.deadLettered > 0) out.push(`${r.settlement.deadLettered} event(s) dead-lettered`);
  if (r.mail) {
    const m = r.mail.reconciliation;
    if (m.lost.length > 0)
      out.push(`${m.lost.length} accepted event(s) never mailed, e.g. ${m.lost.slice(0, 3).join(', ')}`);
    if (m.duplicated.length > 0)
      out.push(
        `${m.duplicated.length} event(s) mailed more than once, e.g. ${m.duplicated.slice(0, 3).join(', ')}`,
      );
    if (m.unexpected.length > 0 || r.mail.unmarked > 0)
      out.push(`${m.unexpected.length + r.mail.unmarked} mail(s) for events never sent`);
    if (!isSettled(r.mail.settlement))
      out.push(
        `email not settled: source lag ${r.mail.settlement.sourceLag}, retry lag ${r.mail.settlement.retryLag}`,
      );
    if (r.mail.settlement.deadLettered > 0)
      out.push(`${r.mail.settlement.deadLettered} event(s) dead-lettered by email`);
  }
  return out;
}
