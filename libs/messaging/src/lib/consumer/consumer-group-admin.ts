import type { Kafka } from 'kafkajs';

export interface PartitionPosition {
  partition: number;
  /** The group's committed offset (the next record it will read), -1 when it has none. */
  committed: string;
  /** The partition's high watermark (offset of the next record to be written). */
  end: string;
  /** Records the group still has to read. */
  lag: number;
}

/**
 * Where a consumer group stands on a topic: committed offset, end offset and lag per partition. For operators
 * (how far behind is `email-server`?) and for tests that check what a drained consumer committed.
 */
export async function groupPositions(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<PartitionPosition[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return ends
      .map((e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
        const from = BigInt(c) >= 0n ? BigInt(c) : BigInt(e.low);
        return { partition: e.partition, committed: c, end: e.high, lag: Number(BigInt(e.high) - from) };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
