import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import { type GatewayProcess, freePort, post, startGatewayProcess, until } from './support/gateway-process';

/**
 * The duplicate window shared through Redis by several gateway replicas (REDIS_URL): the same event
 * delivered to them at the same moment (a token rotation, an Altinn retry overtaking a slow first attempt)
 * reaches Kafka once; a claim whose holder dies is taken over; Redis going away never refuses an event.
 * Redis here is a private redis-server, so stopping it does not disturb other tests.
 */
const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'shared-window-token-' + 'd'.repeat(40);
const PREFIX = 'broker-events:gateway:dedup:';

let redis: RedisServer;
let tail: TopicTail;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start(await freePort());
  tail = await TopicTail.start(brokers, [TOPICS.events, TOPICS.quarantine]);
}, 60_000);

afterAll(async () => {
  await stopReplicas();
  await tail?.stop();
  await redis?.stop();
}, 60_000);

/** Every describe ends its own replicas, so the next one can count Redis clients exactly. */
afterEach(async () => {
  await stopReplicas();
}, 60_000);

async function stopReplicas(): Promise<void> {
  const running = gateways.splice(0);
  await Promise.all(
    running.map((g) => (g.child.exitCode === null && g.child.signalCode === null ? g.stop() : 0)),
  );
  await until('the stopped replicas left Redis', async () => (await redis.clients()) === 0, 15_000);
}

async function startReplica(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    ...env,
  });
  gateways.push(gateway);
  return gateway;
}

async function ready(...replicas: GatewayProcess[]): Promise<void> {
  for (const gateway of replicas)
    await until(
      'gateway ready',
      async () => (await fetch(`${gateway.url}/health/ready`)).status === 200,
      30_000,
    );
  // Each replica holds one Redis connection once its window is usable.
  await until(
    `${gateways.length} replica(s) connected to Redis`,
    async () => (await redis.clients()) === gateways.length,
  );
}

async function deliver(gateway: GatewayProcess, body: string): Promise<{ status: number; answer: string }> {
  const res = await post(`${gateway.url}/altinn/events/${TOKEN}`, body);
  const json = (await res.json()) as { status?: string };
  return { status: res.status, answer: json.status ?? `problem ${res.status}` };
}

/** How many records with each of `ids` are on the events topic, once the tail read all that was written. */
async function copiesOnTopic(ids: string[]): Promise<Map<string, number>> {
  await tail.caughtUp();
  const copies = new Map(ids.map((id) => [id, 0]));
  for (const m of tail.on(TOPICS.events)) {
    const id = m.headers['ce_id'];
    if (copies.has(id)) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return copies;
}

function histogram(copies: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of copies.values()) out[`${n}x`] = (out[`${n}x`] ?? 0) + 1;
  return out;
}

function tally(answers: { status: number; answer: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a.answer] = (out[a.answer] ?? 0) + 1;
  return out;
}

/** A counter's value: `name` with `label="value"`, 0 while the series does not exist yet. */
async function metric(gateway: GatewayProcess, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function events(n: number): { id: string; body: string }[] {
  return Array.from({ length: n }, () => {
    const body = sampleEventBody();
    return { id: String(body['id']), body: JSON.stringify(body) };
  });
}

describe('two replicas sharing the window in Redis', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeEach(async () => {
    [a, b] = await Promise.all([startReplica(), startReplica()]);
    await ready(a, b);
  }, 60_000);

  it('publishes an event delivered four times at once to one replica once', async () => {
    const batch = events(100);
    const answers = await Promise.all(batch.flatMap((e) => [1, 2, 3, 4].map(() => deliver(a, e.body))));
    expect(tally(answers)).toEqual({ published: 100, duplicate: 300 });
    expect(histogram(await copiesOnTopic(batch.map((e) => e.id)))).toEqual({ '1x': 100 });
  });

  it('publishes an event delivered to both replicas at the same moment once', async () => {
    const batch = events(200);
    const answers = await Promise.all(batch.flatMap((e) => [deliver(a, e.body), deliver(b, e.body)]));
    expect(tally(answers)).toEqual({ published: 200, duplicate: 200 });
    expect(histogram(await copiesOnTopic(batch.map((e) => e.id)))).toEqual({ '1x': 200 });
  });

  it('quarantines an invalid body delivered to both replicas (Altinn’s retries) once', async () => {
    const raw = JSON.stringify(sampleEventBody({ subject: '/person/01017012345' }));
    const answers = await Promise.all([a, b, a, b].map((g) => deliver(g, raw)));
    expect(answers.map((x) => x.status)).toEqual([400, 400, 400, 400]);
    const copies = (await tail.caughtUp()).filter(
      (m) => m.topic === TOPICS.quarantine && m.value?.toString() === raw,
    );
    expect(copies).toHaveLength(1);
  });

  it('answers a redelivery to the other replica "duplicate" without a second publish', async () => {
    const [e] = events(1);
    expect(await deliver(a, e.body)).toEqual({ status: 200, answer: 'published' });
    expect(await deliver(b, e.body)).toEqual({ status: 200, answer: 'duplicate' });
    expect(histogram(await copiesOnTopic([e.id]))).toEqual({ '1x': 1 });
  });
});

describe('a claim holder killed in the middle of its publish', () => {
  let blackhole: Blackhole;

  afterAll(async () => {
    await blackhole?.close();
  });

  it('lets the other replica publish once the dead holder’s claim expires, and only then', async () => {
    // The holder reaches Redis but never Kafka (a broker that accepts connections and never answers), so
    // its publish is in progress when it dies and nothing of it can reach the topic.
    blackhole = await Blackhole.start(await freePort());
    const holder = await startReplica({
      KAFKA_BROKERS: `127.0.0.1:${blackhole.port}`,
      PUBLISH_TIMEOUT_MS: '6000',
    });
    const survivor = await startReplica({ PUBLISH_TIMEOUT_MS: '15000' });
    await ready(survivor);
    const [e] = events(1);
    const first = deliver(holder, e.body).catch(() => ({ status: 0, answer: 'connection lost' }));
    await until('the holder’s claim in Redis', async () => (await redis.claims()) === 1, 5_000, 20);
    holder.child.kill('SIGKILL');
    expect(await first).toEqual({ status: 0, answer: 'connection lost' });

    // The claim (holder's PUBLISH_TIMEOUT_MS + 2 s) is still held: the survivor waits, then publishes.
    expect(await deliver(survivor, e.body)).toEqual({ status: 200, answer: 'published' });
    expect(await metric(survivor, 'gateway_dedup_pending_total', 'outcome="published"')).toBe(1);
    expect(await deliver(survivor, e.body)).toEqual({ status: 200, answer: 'duplicate' });
    expect(histogram(await copiesOnTopic([e.id]))).toEqual({ '1x': 1 });
  }, 60_000);
});

describe('Redis stopped in the middle', () => {
  it('refuses nothing while Redis is down (fail open), counts it, and deduplicates again once it is back', async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    await ready(a, b);

    const before = events(20);
    const during = events(20);
    const after = events(20);
    const both = (batch: { body: string }[]) =>
      Promise.all(batch.flatMap((e) => [deliver(a, e.body), deliver(b, e.body)]));

    expect(tally(await both(before))).toEqual({ published: 20, duplicate: 20 });
    await redis.stop();
    const down = await both(during);
    expect(down.every((d) => d.status === 200)).toBe(true);
    await redis.restart();
    await until('both replicas reconnected to Redis', async () => (await redis.clients()) === 2, 15_000);
    expect(tally(await both(after))).toEqual({ published: 20, duplicate: 20 });

    const copies = await copiesOnTopic([...before, ...during, ...after].map((e) => e.id));
    // Every event is in Kafka: before and after exactly once; while Redis was down at least once (two
    // replicas cannot agree without it, so the same event may be published by each).
    for (const e of [...before, ...after]) expect(copies.get(e.id)).toBe(1);
    for (const e of during) expect(copies.get(e.id)).toBeGreaterThanOrEqual(1);
    const passedOver =
      (await metric(a, 'gateway_dedup_unavailable_total', 'operation="claim"')) +
      (await metric(b, 'gateway_dedup_unavailable_total', 'operation="claim"'));
    expect(passedOver).toBeGreaterThan(0);
    expect(a.output() + b.output()).toContain('duplicate window (Redis) unavailable');
  }, 90_000);
});

/** A private redis-server on `port` that a test can stop and start again. */
class RedisServer {
  private child?: ChildProcess;
  readonly url: string;

  private constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}/0`;
  }

  static async start(port: number): Promise<RedisServer> {
    const server = new RedisServer(port);
    await server.restart();
    return server;
  }

  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    await until(`redis-server on ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return this.ping();
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** How many keys hold a claim in progress (`p:<owner>`). */
  async claims(): Promise<number> {
    return this.withClient(async (r) => {
      const keys = await r.keys(`${PREFIX}*`);
      const values = keys.length > 0 ? await r.mget(keys) : [];
      return values.filter((v) => v?.startsWith('p:')).length;
    });
  }

  /** Connected clients other than the one asking. */
  async clients(): Promise<number> {
    return this.withClient(async (r) => {
      const info = await r.info('clients');
      return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0) - 1;
    });
  }

  private async ping(): Promise<boolean> {
    return this.withClient(async (r) => (await r.ping()) === 'PONG').catch(() => false);
  }

  private async withClient<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }
}

/** A "broker" that accepts connections and never answers: a publish to it hangs until its timeout. */
class Blackhole {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(port: number): Promise<Blackhole> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new Blackhole(server, port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
