import type { KafkaRecord } from '@broker-events/contracts';
import { type Admin, CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { Batcher } from './batcher';
import { javaCompatiblePartitioner, kafkajsRetriesPerPartition, murmur2 } from './kafkajs-tuning';

/** How long a topic's partition count is trusted before it is read again. */
const PARTITION_COUNT_TTL_MS = 30_000;

export interface PublisherOptions {
  /** Most records in one produce request. */
  maxBatchRecords: number;
  /** Wait this long for more records before sending (0 = only what arrived in the same event-loop turn). */
  lingerMs: number;
  /** Deadline for one produce request, acknowledgement included; the caller then sees PublishTimeoutError. */
  timeoutMs: number;
  /** Produce requests in flight at once. */
  maxInFlightBatches: number;
  /**
   * Send a batch's partitions in one sendBatch (one produce request per leader broker). Only safe with our
   * kafkajs patch, so it defaults to whether the patch is in place; false sends one sendBatch per partition.
   */
  onePerBatch?: boolean;
}

export const DEFAULT_PUBLISHER_OPTIONS: PublisherOptions = {
  maxBatchRecords: 1000,
  lingerMs: 0,
  timeoutMs: 10_000,
  // The idempotent producer has one request in flight per broker anyway (maxInFlightRequests 1), so a second
  // batch would only wait inside kafkajs; while one is in flight the next grows instead (about 30 % fewer,
  // larger produce requests at 64 concurrent callers, measured with bench:gateway).
  maxInFlightBatches: 1,
};

export class PublishTimeoutError extends Error {
  constructor(ms: number) {
    super(`Kafka did not acknowledge within ${ms} ms`);
    this.name = 'PublishTimeoutError';
  }
}

export class PublisherClosedError extends Error {
  constructor() {
    super('The publisher is closed');
    this.name = 'PublisherClosedError';
  }
}

/** Where Kafka wrote one record. */
export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

export interface PublisherObserver {
  /** One produce request finished; `ok` false when it failed or timed out. */
  batch?(records: number, seconds: number, ok: boolean): void;
  /** The producer is re-created after a failure (a new producer id for the idempotent producer). */
  reset?(reason: unknown): void;
}

/**
 * Publishes records with acks=all on the idempotent producer and coalesces concurrent callers into one
 * produce request: each caller's promise still settles only when Kafka acknowledged (or refused) the
 * request that carried its records. A caller's records are never split across requests, so a caller's
 * records are all written or the caller sees an error.
 *
 * After a failed request the producer is replaced, so a broker that comes back is used again without a
 * restart and a stale idempotence sequence cannot wedge the client.
 */
export class CoalescingPublisher {
  private readonly options: PublisherOptions;
  /** Callers' record lists, coalesced into produce requests (the queue the consumers' writers use too). */
  private readonly queue: Batcher<KafkaRecord[]>;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  private closed = false;
  private healthy = false;
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private admin?: Admin;
  private readonly refreshing = new Set<string>();
  private roundRobin = 0;
  /** Where each caller's records were written, filled by the produce request that carried them. */
  private readonly written = new WeakMap<KafkaRecord[], RecordCoordinates[]>();

  constructor(
    private readonly kafka: Kafka,
    options: Partial<PublisherOptions> = {},
    private readonly observer: PublisherObserver = {},
  ) {
    this.options = {
      ...DEFAULT_PUBLISHER_OPTIONS,
      onePerBatch: kafkajsRetriesPerPartition(),
      ...options,
    };
    this.queue = new Batcher((batch) => this.send(batch), {
      maxItems: this.options.maxBatchRecords,
      lingerMs: this.options.lingerMs,
      maxInFlight: this.options.maxInFlightBatches,
      weight: (records) => records.length,
    });
  }

  /** True after the last produce request (or connect) succeeded. */
  get isHealthy(): boolean {
    return this.healthy;
  }

  get pendingRecords(): number {
    return this.queue.pending;
  }

  /** Connects the producer; `topics` get their partition counts read now, so the first publish waits for nothing more. */
  async connect(topics: string[] = []): Promise<void> {
    await this.getProducer();
    await Promise.all(topics.map((t) => this.partitionCount(t).catch(() => undefined)));
  }

  publish(records: KafkaRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new PublisherClosedError());
    if (records.length === 0) return Promise.resolve();
    return this.queue.add(records);
  }

  /** Like publish, and resolves with where each record was written (same order), e.g. to point at a dead letter. */
  async publishAt(records: KafkaRecord[]): Promise<RecordCoordinates[]> {
    const own = [...records];
    await this.publish(own);
    return this.written.get(own) ?? [];
  }

  /** Waits for every queued and in-flight request, then disconnects. New publishes are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.drain();
    const producer = this.producer;
    this.producer = undefined;
    this.healthy = false;
    await producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** One produce request for a batch of callers; settles them all (the Batcher resolves or rejects each). */
  private async send(batch: KafkaRecord[][]): Promise<void> {
    let count = 0;
    for (const records of batch) count += records.length;
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    try {
      const producer = await this.getProducer();
      await Promise.race([
        this.sendRecords(producer, batch),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new PublishTimeoutError(this.options.timeoutMs)),
            this.options.timeoutMs,
          );
        }),
      ]);
      this.healthy = true;
      this.observer.batch?.(count, elapsed(started), true);
    } catch (error) {
      this.healthy = false;
      this.observer.batch?.(count, elapsed(started), false);
      this.reset(error);
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Sets each message's partition here (the partitioner's own rule: murmur2 of the key modulo the partition
   * count, round-robin without a key), so that where each record lands is known before it is sent. Then one
   * sendBatch for the whole batch (kafkajs sends one produce request per leader broker), or, without our
   * kafkajs patch, one sendBatch per partition, all at once.
   *
   * Why the patch matters: kafkajs 2.2.4 loses messages when one request of a multi-broker sendBatch fails with
   * NOT_LEADER_OR_FOLLOWER and the partition's new leader is a broker that already answered in the first
   * attempt. Its retry (src/producer/sendMessages.js, `brokersWithoutResponse`) only sends to brokers without
   * a response yet, so that partition's messages are never sent again and sendBatch resolves as if they were
   * written: the gateway answered 2xx for 64 events Kafka never held in a rolling restart (apps/cluster-e2e).
   * patches/kafkajs+2.2.4.patch keeps what was written per partition instead; with one partition per
   * sendBatch there is one leader per call, so the unpatched retry is safe too, only slower.
   */
  private async sendRecords(producer: Producer, batch: KafkaRecord[][]): Promise<void> {
    const counts = new Map<string, number>();
    for (const records of batch) {
      for (const r of records) {
        if (!counts.has(r.topic)) counts.set(r.topic, await this.partitionCount(r.topic));
      }
    }
    const groups = new Map<
      string,
      { topic: string; partition: number; messages: Message[]; at: RecordCoordinates[] }
    >();
    for (const records of batch) {
      const coordinates: RecordCoordinates[] = [];
      this.written.set(records, coordinates);
      for (const r of records) {
        const count = counts.get(r.topic) ?? 1;
        const partition =
          r.key !== undefined && r.key !== null
            ? (murmur2(r.key) & 0x7fffffff) % count
            : (this.roundRobin = (this.roundRobin + 1) & 0x7fffffff) % count;
        const id = `${r.topic}\u0000${partition}`;
        let group = groups.get(id);
        if (!group) groups.set(id, (group = { topic: r.topic, partition, messages: [], at: [] }));
        group.messages.push({ key: r.key, value: r.value, headers: r.headers, partition });
        const at = { topic: r.topic, partition, offset: '' };
        group.at.push(at);
        coordinates.push(at);
      }
    }
    const request = (topicMessages: { topic: string; messages: Message[] }[]) =>
      producer.sendBatch({
        topicMessages,
        acks: -1,
        timeout: this.options.timeoutMs,
        compression: CompressionTypes.None,
      });
    // Each partition's records got consecutive offsets from its baseOffset on, in the order sent.
    const place = (written: { topicName: string; partition: number; baseOffset?: string }[]) => {
      for (const meta of written) {
        const g = groups.get(`${meta.topicName}\u0000${meta.partition}`);
        if (!g || meta.baseOffset === undefined) continue;
        const base = BigInt(meta.baseOffset);
        g.at.forEach((at, i) => (at.offset = String(base + BigInt(i))));
      }
    };
    if (this.options.onePerBatch) {
      const perTopic = new Map<string, Message[]>();
      for (const g of groups.values()) {
        const messages = perTopic.get(g.topic);
        if (messages) messages.push(...g.messages);
        else perTopic.set(g.topic, [...g.messages]);
      }
      place(await request([...perTopic].map(([topic, messages]) => ({ topic, messages }))));
      return;
    }
    await Promise.all(
      [...groups.values()].map(async (g) => place(await request([{ topic: g.topic, messages: g.messages }]))),
    );
  }

  /** The topic's partition count: read once, then refreshed in the background every 30 s (never awaited). */
  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known) {
      if (Date.now() - known.at >= PARTITION_COUNT_TTL_MS && !this.refreshing.has(topic)) {
        this.refreshing.add(topic);
        void this.readPartitionCount(topic)
          .catch(() => undefined)
          .finally(() => this.refreshing.delete(topic));
      }
      return known.count;
    }
    return this.readPartitionCount(topic);
  }

  private async readPartitionCount(topic: string): Promise<number> {
    const admin = this.admin ?? this.kafka.admin();
    this.admin = admin;
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const count = topics[0]?.partitions.length ?? 0;
      if (count < 1) throw new Error(`Topic ${topic} has no partitions`);
      this.partitionCounts.set(topic, { count, at: Date.now() });
      return count;
    } catch (error) {
      if (this.admin === admin) this.admin = undefined;
      void admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private reset(reason: unknown): void {
    const old = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    if (old) {
      this.observer.reset?.(reason);
      void old.disconnect().catch(() => undefined);
    }
  }

  private getProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    if (!this.connecting) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: javaCompatiblePartitioner,
        // kafkajs retries a failed produce with the same producer id and sequence numbers (no duplicates), only
        // for the partitions not yet acknowledged (our patch), while the caller's deadline lasts: a leader lost
        // to a crashed broker is replaced within ~9 s (KRaft's broker session timeout), so callers wait for
        // it instead of getting a refusal after 300 ms. The deadline (timeoutMs) still ends the wait.
        retry: { retries: retriesWithin(this.options.timeoutMs), initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const deadline = this.options.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      this.connecting = Promise.race([
        producer.connect().then(() => producer),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PublishTimeoutError(deadline)), deadline);
        }),
      ])
        .then((p) => {
          this.producer = p;
          this.healthy = true;
          return p;
        })
        .catch((e: unknown) => {
          this.connecting = undefined;
          this.healthy = false;
          void producer.disconnect().catch(() => undefined);
          throw e;
        })
        .finally(() => {
          if (timer) clearTimeout(timer);
        });
    }
    return this.connecting;
  }
}

/** kafkajs retries (100, 200, 400, 800 ms, then 1 s each) that fit in `ms`, and at least 2. */
export function retriesWithin(ms: number): number {
  return Math.max(2, 4 + Math.ceil((ms - 1500) / 1000));
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
