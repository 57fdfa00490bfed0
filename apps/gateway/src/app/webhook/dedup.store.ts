import { hash } from 'node:crypto';
import Redis from 'ioredis';
import type { AppLogger } from '@broker-events/observability';

/**
 * Remembers which (source, id) pairs were published, for a window. `seen` is asked before a publish and
 * `remember` after Kafka acknowledged, so a failed publish is never remembered. Stores fail open: when the
 * store cannot answer, the event is published again (consumers are idempotent), never dropped.
 */
export interface DedupStore {
  readonly kind: 'memory' | 'redis';
  seen(keys: string[]): Promise<boolean[]>;
  remember(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

export function dedupKey(source: string, id: string): string {
  return hash('sha256', `${source}\u0000${id}`, 'base64url');
}

/** In-process window, bounded in size (oldest entries go first). */
export class MemoryDedupStore implements DedupStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async seen(keys: string[]): Promise<boolean[]> {
    const now = this.now();
    return keys.map((k) => {
      const expires = this.entries.get(k);
      if (expires === undefined) return false;
      if (expires <= now) {
        this.entries.delete(k);
        return false;
      }
      return true;
    });
  }

  async remember(keys: string[]): Promise<void> {
    if (this.windowMs <= 0) return;
    const expires = this.now() + this.windowMs;
    for (const k of keys) {
      this.entries.delete(k);
      this.entries.set(k, expires);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

/** A window shared by every replica: `SET key 1 PX window`, looked up with `EXISTS`. */
export class RedisDedupStore implements DedupStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly windowMs: number,
    private readonly logger: AppLogger,
    private readonly prefix = 'broker-events:gateway:dedup:',
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 250,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', () => undefined);
  }

  async seen(keys: string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    try {
      const pipeline = this.redis.pipeline();
      for (const k of keys) pipeline.exists(this.prefix + k);
      const results = (await pipeline.exec()) ?? [];
      return keys.map((_, i) => {
        const [err, value] = results[i] ?? [new Error('no reply'), 0];
        return !err && value === 1;
      });
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'duplicate window unavailable; publishing without it');
      return keys.map(() => false);
    }
  }

  async remember(keys: string[]): Promise<void> {
    if (keys.length === 0 || this.windowMs <= 0) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const k of keys) pipeline.set(this.prefix + k, '1', 'PX', this.windowMs);
      await pipeline.exec();
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'could not record published ids in the duplicate window');
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
