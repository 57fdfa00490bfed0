import { randomBytes } from 'node:crypto';
import { HEADERS, type KafkaRecord, deadLetterTopic, retryTopic } from '@broker-events/contracts';
import type { Kafka } from 'kafkajs';
import { CoalescingPublisher } from '../publisher';
import { DELIVERY_HEADER_NAMES, headersToStrings } from './delivery-headers';

/** One record as read from a topic, headers as strings. */
export interface StoredRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** A dead-lettered record with its delivery metadata pulled out of the headers. */
export interface DeadLetter extends StoredRecord {
  consumer?: string;
  error?: string;
  failure?: string;
  attempts?: number;
  firstFailedAt?: string;
  lastFailedAt?: string;
  originalTopic?: string;
  originalPartition?: number;
  originalOffset?: string;
  redriveCount: number;
}

/** Offsets `from` (inclusive) to `to` (exclusive) of one partition. */
export interface OffsetRange {
  partition: number;
  from: string;
  to: string;
}

/**
 * Reads every record a topic holds right now (up to `limit`), then stops; with `newest`, only the newest that
 * many of each partition (a long topic's latest records, not its first); with `ranges`, only those offsets of
 * those partitions. Uses a throwaway consumer group that is deleted afterwards, so it never disturbs a real
 * consumer.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  options: { limit?: number; timeoutMs?: number; newest?: number; ranges?: OffsetRange[] } = {},
): Promise<StoredRecord[]> {
  const limit = options.limit ?? 10_000;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `tool-read-${randomBytes(6).toString('hex')}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(
        `Topic ${topic} does not exist (has the consumer ever started with KAFKA_CREATE_TOPICS, or is the name right?)`,
      );
    }
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map<number, bigint>();
    const starts = new Map<number, bigint>();
    for (const p of ends) {
      const [low, high] = [BigInt(p.low), BigInt(p.high)];
      if (!options.ranges) {
        if (high > low) remaining.set(p.partition, high);
        continue;
      }
      // Each partition from its ranges' lowest offset to their highest end, within what it holds; the others
      // start at their end, so nothing of them is fetched.
      const mine = options.ranges.filter((r) => r.partition === p.partition);
      const from = mine.reduce((m, r) => (BigInt(r.from) < m ? BigInt(r.from) : m), high);
      const to = mine.reduce((m, r) => (BigInt(r.to) > m ? BigInt(r.to) : m), low);
      const start = from > low ? from : low;
      const end = to < high ? to : high;
      starts.set(p.partition, end > start ? start : high);
      if (end > start) remaining.set(p.partition, end);
    }
    if (remaining.size === 0) return [];
    // Between two ranges of a partition the records are read past, not kept.
    const inRange = (partition: number, offset: string): boolean =>
      !options.ranges ||
      options.ranges.some(
        (r) => r.partition === partition && BigInt(offset) >= BigInt(r.from) && BigInt(offset) < BigInt(r.to),
      );
    if (options.ranges) {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: String(starts.get(p.partition)) })),
      });
    } else if (options.newest !== undefined) {
      // The throwaway group starts where we put it: the newest `newest` records of each partition.
      const back = BigInt(Math.max(1, options.newest));
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => {
          const start = BigInt(p.high) - back;
          return { partition: p.partition, offset: String(start > BigInt(p.low) ? start : BigInt(p.low)) };
        }),
      });
    }
    const out: StoredRecord[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out reading ${topic}`)),
          options.timeoutMs ?? 20_000,
        );
        const finish = (): void => {
          clearTimeout(timer);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = remaining.get(partition);
              if (end === undefined) return;
              if (out.length < limit && inRange(partition, message.offset)) {
                out.push({
                  topic,
                  partition,
                  offset: message.offset,
                  timestamp: message.timestamp,
                  key: message.key ? message.key.toString('utf8') : null,
                  value: message.value ?? Buffer.alloc(0),
                  headers: headersToStrings(message.headers),
                });
              }
              if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0 || out.length >= limit) finish();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export function toDeadLetter(r: StoredRecord): DeadLetter {
  const h = r.headers;
  const num = (v: string | undefined): number | undefined =>
    v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  return {
    ...r,
    consumer: h[HEADERS.deliveryConsumer],
    error: h[HEADERS.deliveryError],
    failure: h[HEADERS.deliveryFailure],
    attempts: num(h[HEADERS.deliveryAttempt]),
    firstFailedAt: h[HEADERS.deliveryFirstFailedAt],
    lastFailedAt: h[HEADERS.deliveryLastFailedAt],
    originalTopic: h[HEADERS.deliveryOriginalTopic],
    originalPartition: num(h[HEADERS.deliveryOriginalPartition]),
    originalOffset: h[HEADERS.deliveryOriginalOffset],
    redriveCount: num(h[HEADERS.deliveryRedriveCount]) ?? 0,
  };
}

export interface RedriveResult {
  topic: string;
  partition: number;
  offset: string;
  to: string;
}

/**
 * Lists, inspects and re-drives one consumer's dead letters. Re-driving publishes the original key, value and
 * headers (delivery headers removed, `delivery_redrivenat`/`delivery_redrivecount` added) either to the
 * original topic (`target: 'original'`, the default; every consumer of that topic sees it again and skips it as
 * a duplicate unless it never delivered it) or to this consumer's retry topic, due at once (`target: 'retry'`,
 * only this consumer sees it). The DLQ itself is append-only: a re-driven record stays there.
 */
export class DeadLetterAdmin {
  readonly topic: string;

  constructor(
    private readonly kafka: Kafka,
    readonly consumer: string,
  ) {
    this.topic = deadLetterTopic(consumer);
  }

  /** How many dead letters the topic holds now (the sum of its partitions' end minus start offsets). */
  async count(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** The oldest `limit` dead letters, by partition and offset. */
  async list(limit = 1000): Promise<DeadLetter[]> {
    return (await readTopic(this.kafka, this.topic, { limit })).map(toDeadLetter);
  }

  /**
   * The newest `count` dead letters, oldest first (by time, then partition and offset): what an operator looks
   * at when the topic holds more. Reads at most `count` records of each partition, from their ends.
   */
  async listNewest(count: number): Promise<DeadLetter[]> {
    const records = await readTopic(this.kafka, this.topic, {
      newest: count,
      limit: Number.POSITIVE_INFINITY,
    });
    return records
      .map(toDeadLetter)
      .sort(
        (a, b) =>
          Number(a.timestamp) - Number(b.timestamp) ||
          a.partition - b.partition ||
          Number(BigInt(a.offset) - BigInt(b.offset)),
      )
      .slice(-count);
  }

  /** The dead letters at these positions (those that exist), read from there whatever the topic's length. */
  async at(positions: { partition: number; offset: string }[]): Promise<DeadLetter[]> {
    if (positions.length === 0) return [];
    const ranges = positions.map((p) => ({
      partition: p.partition,
      from: p.offset,
      to: String(BigInt(p.offset) + 1n),
    }));
    return (await readTopic(this.kafka, this.topic, { ranges, limit: Number.POSITIVE_INFINITY })).map(
      toDeadLetter,
    );
  }

  async inspect(partition: number, offset: string): Promise<DeadLetter | undefined> {
    return (await this.at([{ partition, offset }]))[0];
  }

  async redrive(
    selection: { partition: number; offset: string }[] | 'all',
    target: 'original' | 'retry' = 'original',
  ): Promise<RedriveResult[]> {
    const all = selection === 'all' ? await this.list(100_000) : await this.at(selection);
    const chosen =
      selection === 'all'
        ? all
        : selection.map((s) => {
            const found = all.find((d) => d.partition === s.partition && d.offset === s.offset);
            if (!found) throw new RangeError(`No dead letter at ${this.topic} ${s.partition}:${s.offset}`);
            return found;
          });
    const now = new Date().toISOString();
    const records: KafkaRecord[] = chosen.map((d) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(d.headers))
        if (!DELIVERY_HEADER_NAMES.includes(name)) headers[name] = value;
      headers[HEADERS.deliveryRedrivenAt] = now;
      headers[HEADERS.deliveryRedriveCount] = String(d.redriveCount + 1);
      let topic: string;
      if (target === 'retry') {
        topic = retryTopic(this.consumer);
        headers[HEADERS.deliveryNotBefore] = now;
        headers[HEADERS.deliveryConsumer] = this.consumer;
        for (const name of [
          HEADERS.deliveryOriginalTopic,
          HEADERS.deliveryOriginalPartition,
          HEADERS.deliveryOriginalOffset,
        ]) {
          const v = d.headers[name];
          if (v !== undefined) headers[name] = v;
        }
      } else {
        if (!d.originalTopic)
          throw new RangeError(`Dead letter ${d.partition}:${d.offset} has no original topic header`);
        topic = d.originalTopic;
      }
      return { topic, key: d.key ?? '', value: d.value, headers };
    });
    const publisher = new CoalescingPublisher(this.kafka);
    try {
      await publisher.publish(records);
    } finally {
      await publisher.close();
    }
    return chosen.map((d, i) => ({
      topic: d.topic,
      partition: d.partition,
      offset: d.offset,
      to: records[i].topic,
    }));
  }
}
