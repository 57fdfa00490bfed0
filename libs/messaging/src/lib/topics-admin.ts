import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

/**
 * Creates the topics that are missing (never alters or deletes existing ones). In Kubernetes the Strimzi
 * KafkaTopic resources own the topics and apps run with topic creation off; locally the apps create them.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    // Leaders are awaited below, with our own patience: kafkajs' own wait gives up (and the app with it) when
    // a just-created topic is briefly unknown to the broker answering metadata.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    const created = missing.map((s) => s.topic);
    await metadataReady(admin, created);
    return created;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Waits until the broker answers metadata for `topics`: right after a create, a broker may still answer
 * UNKNOWN_TOPIC_OR_PARTITION, and a consumer subscribing then fails to start.
 */
async function metadataReady(admin: Admin, topics: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Answers "can we use Kafka right now?" by fetching metadata for the given topics with a short deadline,
 * over one long-lived admin connection that reconnects after failures.
 */
export class KafkaProbe {
  private admin?: Admin;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
    private readonly timeoutMs = 3000,
  ) {}

  async check(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const admin = this.admin ?? this.kafka.admin();
      this.admin = admin;
      await Promise.race([
        (async () => {
          await admin.connect();
          await admin.fetchTopicMetadata({ topics: this.topics });
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('probe timed out')), this.timeoutMs);
        }),
      ]);
      return true;
    } catch {
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      return false;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
