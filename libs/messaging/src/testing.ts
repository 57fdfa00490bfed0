/**
 * Test helpers that read Kafka as an operator would. Kept out of the lib's main entry point so test code
 * never ships.
 */
import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import type { KafkaConnectionConfig } from './lib/kafka-config';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function testKafka(brokers: string | string[], clientId = 'test'): Kafka {
  return new Kafka({
    clientId,
    brokers: Array.isArray(brokers) ? brokers : brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100 },
  });
}

/** The connection settings of a plaintext local broker (no TLS, no SASL), as the apps' config would give them. */
export function plainKafkaConfig(
  brokers: string | string[],
  timeouts: Partial<
    Pick<KafkaConnectionConfig, 'KAFKA_CONNECTION_TIMEOUT_MS' | 'KAFKA_REQUEST_TIMEOUT_MS'>
  > = {},
): KafkaConnectionConfig {
  return {
    KAFKA_BROKERS: (Array.isArray(brokers) ? brokers : brokers.split(',')).filter(Boolean),
    KAFKA_SSL: false,
    KAFKA_SSL_CA_FILE: undefined,
    KAFKA_SASL_MECHANISM: undefined,
    KAFKA_SASL_USERNAME: undefined,
    KAFKA_SASL_PASSWORD: undefined,
    KAFKA_CONNECTION_TIMEOUT_MS: 3000,
    KAFKA_REQUEST_TIMEOUT_MS: 10000,
    ...timeouts,
  };
}

function headerRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Collects what is written to some topics from the moment `start` returns: it notes each partition's end
 * offset first and ignores anything older.
 */
export class TopicTail {
  readonly messages: ReadMessage[] = [];
  private consumer?: Consumer;
  private readonly starts = new Map<string, bigint>();
  /** Per `topic:partition`, the offset after the last record read (older ones included). */
  private readonly positions = new Map<string, bigint>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
  ) {}

  static async start(brokers: string, topics: string[]): Promise<TopicTail> {
    const tail = new TopicTail(testKafka(brokers, 'topic-tail'), topics);
    await tail.begin();
    return tail;
  }

  private async begin(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = this.topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: 6 })),
        });
      for (const topic of this.topics) {
        // Right after creation the partition leaders may not be elected yet: retry for a while.
        const offsets = await retrying(() => admin.fetchTopicOffsets(topic), 15_000);
        for (const p of offsets) this.starts.set(`${topic}:${p.partition}`, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    this.consumer = this.kafka.consumer({
      groupId: `topic-tail-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined());
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}:${partition}`;
        // read already (a seek below can hand back records once more): keep each record once
        if (BigInt(message.offset) < (this.positions.get(at) ?? 0n)) return;
        this.positions.set(at, BigInt(message.offset) + 1n);
        const start = this.starts.get(at) ?? 0n;
        if (BigInt(message.offset) < start) return;
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value,
          headers: headerRecord(message.headers),
        });
      },
    });
    await hasJoined;
    // Skip what was there before `start` instead of reading through it (a long-lived broker's shared topics,
    // e.g. the delivery reports, grow with every run).
    for (const [at, offset] of this.starts) {
      const cut = at.lastIndexOf(':');
      if (offset > 0n && (this.positions.get(at) ?? 0n) < offset)
        this.consumer.seek({
          topic: at.slice(0, cut),
          partition: Number(at.slice(cut + 1)),
          offset: String(offset),
        });
    }
  }

  on(topic: string): ReadMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits until `predicate` holds over what was read, or fails after `timeoutMs`. */
  async waitFor(predicate: (messages: ReadMessage[]) => boolean, timeoutMs = 15_000): Promise<ReadMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline)
        throw new Error(
          `TopicTail: condition not met within ${timeoutMs} ms; read ${this.messages.length} message(s)`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.messages;
  }

  /**
   * Waits until everything written to the topics before this call has been read: each partition's end
   * offset now, and the tail's position reaching it. After every write was acknowledged, this shows the
   * whole of what was written (a duplicate included) without a fixed wait.
   */
  async caughtUp(timeoutMs = 15_000): Promise<ReadMessage[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map<string, bigint>();
    try {
      for (const topic of this.topics)
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}:${p.partition}`, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    const reached = () =>
      [...ends].every(
        ([at, end]) => end <= (this.starts.get(at) ?? 0n) || (this.positions.get(at) ?? 0n) >= end,
      );
    return this.waitFor(reached, timeoutMs);
  }

  /** Lets the consumer run for `ms` more, to show that nothing else arrives. */
  async settle(ms = 1500): Promise<ReadMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.messages;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

async function retrying<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
