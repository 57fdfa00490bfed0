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
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect().catch(() => undefined);
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
