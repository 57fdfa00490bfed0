/**
 * The tool itself: a private broker on its own port and temp data dir, as fault tests use it.
 * Each test builds on the previous one (one JVM start is ~5 s; the suite keeps the count low).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { installKafka, kafkaStatus, killKafka, LocalKafkaOptions, startKafka, stopKafka } from './index';
import { freePortPair, tempDir } from './test-helpers';
import { isProcessAlive } from './util';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';

const TOPIC = 'persisted';

function client(brokers: string): Kafka {
  return new Kafka({ clientId: 'kafka-local-spec', brokers: [brokers], logLevel: logLevel.NOTHING });
}

async function produce(brokers: string, value: string): Promise<void> {
  const producer = client(brokers).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value }] });
  } finally {
    await producer.disconnect();
  }
}

/** All values in the topic, read by a fresh group from the beginning. */
async function readAll(brokers: string, expected: number): Promise<string[]> {
  const consumer = client(brokers).consumer({
    groupId: `reader-${Date.now()}-${Math.random()}`,
    maxWaitTimeInMs: 200,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString('utf8') ?? '');
      },
    });
    const deadline = Date.now() + 30_000;
    while (values.length < expected && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await consumer.disconnect();
  }
  return values.sort();
}

function clusterId(dataDir: string): string {
  const meta = fs.readFileSync(`${dataDir}/kraft-combined-logs/meta.properties`, 'utf8');
  const match = /^cluster\.id=(.+)$/m.exec(meta);
  if (!match) throw new Error(`no cluster.id in meta.properties:\n${meta}`);
  return match[1];
}

describe('kafka-local broker lifecycle (private broker)', () => {
  const dataDir = tempDir('kafka-local-spec-');
  const logs: string[] = [];
  let opts: LocalKafkaOptions;
  let brokers: string;
  let firstPid: number;
  let firstClusterId: string;

  beforeAll(async () => {
    const port = await freePortPair();
    opts = { port, dataDir, log: (line) => logs.push(line) };
    brokers = `127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await killKafka(opts).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('installKafka is idempotent and returns the libs dir', async () => {
    const libs = await installKafka(opts);
    expect(await installKafka(opts)).toBe(libs);
    expect(fs.readdirSync(libs)).toEqual(
      expect.arrayContaining(['kafka_2.13-4.3.1.jar', 'log4j-slf4j-impl-2.25.4.jar']),
    );
  });

  it('status says not running before the first start', async () => {
    expect(await kafkaStatus(opts)).toEqual(expect.objectContaining({ running: false, brokers }));
  });

  it('ignores a stale pid file that points at some other live process (and never signals it)', async () => {
    fs.writeFileSync(`${dataDir}/kafka.pid`, `${process.pid}\n`);
    expect(await kafkaStatus(opts)).toEqual({ running: false, brokers, dataDir });
    await stopKafka(opts); // would SIGTERM this jest worker if it trusted the pid file
    await killKafka(opts);
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(fs.existsSync(`${dataDir}/kafka.pid`)).toBe(false);
  });

  it('fails with the broker log tail when the broker is not ready in time, and leaves nothing running', async () => {
    const slowDir = tempDir('kafka-local-slow-');
    const slow = {
      port: await freePortPair(),
      dataDir: slowDir,
      readyTimeoutMs: 1_000,
      log: () => undefined,
    };
    try {
      const error: unknown = await startKafka(slow).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/did not become ready within 1s/);
      expect((error as Error).message).toMatch(/--- last lines of .*broker\.log ---/);
      expect(fs.existsSync(`${slowDir}/kafka.pid`)).toBe(false);
      expect((await kafkaStatus(slow)).running).toBe(false);
    } finally {
      await killKafka(slow).catch(() => undefined);
      fs.rmSync(slowDir, { recursive: true, force: true });
    }
  });

  it('starts a broker on its own port and data dir; status says running', async () => {
    const running = await startKafka(opts);
    expect(running).toEqual({ brokers, pid: expect.any(Number), startedByUs: true });
    firstPid = running.pid;
    expect(isProcessAlive(firstPid)).toBe(true);
    expect(fs.readFileSync(`${dataDir}/kafka.pid`, 'utf8').trim()).toBe(String(firstPid));
    expect(await kafkaStatus(opts)).toEqual({
      running: true,
      pid: firstPid,
      brokers,
      listening: true,
      dataDir,
    });
    firstClusterId = clusterId(dataDir);
    expect(logs.join('\n')).toMatch(/Formatting KRaft storage/);
  });

  it('a second start reuses the running broker', async () => {
    const again = await startKafka(opts);
    expect(again).toEqual({ brokers, pid: firstPid, startedByUs: false });
  });

  it('refuses a port that another process holds', async () => {
    const blockerPort = await freePortPair();
    const busyDir = tempDir('kafka-local-busy-');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(blockerPort, '127.0.0.1', resolve));
    try {
      await expect(startKafka({ port: blockerPort, dataDir: busyDir, log: () => undefined })).rejects.toThrow(
        `Port 127.0.0.1:${blockerPort} is in use by another process`,
      );
      expect(fs.existsSync(`${busyDir}/kafka.pid`)).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      fs.rmSync(busyDir, { recursive: true, force: true });
    }
  });

  it('keeps produced data across stop and start, without formatting again', async () => {
    await produce(brokers, 'before-stop');
    await stopKafka(opts);
    expect(isProcessAlive(firstPid)).toBe(false);
    expect(await kafkaStatus(opts)).toEqual(expect.objectContaining({ running: false }));
    expect(fs.existsSync(`${dataDir}/kafka.pid`)).toBe(false);

    logs.length = 0;
    const restarted = await startKafka(opts);
    expect(restarted.startedByUs).toBe(true);
    expect(restarted.pid).not.toBe(firstPid);
    expect(logs.join('\n')).not.toMatch(/Formatting/);
    expect(clusterId(dataDir)).toBe(firstClusterId);
    expect(await readAll(brokers, 1)).toEqual(['before-stop']);
  });

  it('killKafka crashes the broker (SIGKILL); a restart recovers the data', async () => {
    await produce(brokers, 'before-kill');
    const { pid } = await kafkaStatus(opts);
    expect(pid).toBeDefined();
    await killKafka(opts);
    expect(isProcessAlive(pid as number)).toBe(false);
    expect((await kafkaStatus(opts)).running).toBe(false);

    await startKafka(opts);
    expect(await readAll(brokers, 2)).toEqual(['before-kill', 'before-stop']);
  });

  it('stop makes status say not running; stop and kill are safe when nothing runs', async () => {
    const { pid } = await kafkaStatus(opts);
    await stopKafka(opts);
    expect(await kafkaStatus(opts)).toEqual({ running: false, brokers, dataDir });
    expect(isProcessAlive(pid as number)).toBe(false);
    await expect(stopKafka(opts)).resolves.toBeUndefined();
    await expect(killKafka(opts)).resolves.toBeUndefined();
  });
});
