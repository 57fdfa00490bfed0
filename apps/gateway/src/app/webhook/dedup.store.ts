import { hash, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type * as IoRedisModule from 'ioredis';

/**
 * What a claim on one (source, id) found:
 * - `claimed`: this process holds the claim and must publish, then call `published` or `release`;
 * - `published`: the event is in Kafka already (inside the window), answer "duplicate";
 * - `pending`: another replica holds the claim and is publishing; ask again until it settles.
 */
export type ClaimState = 'claimed' | 'published' | 'pending';

/** A store operation that failed and was passed over (fail open): the event is published, maybe twice. */
export type DedupStoreOperation = 'claim' | 'published' | 'release';

/**
 * The duplicate window: which (source, id) pairs are in Kafka, and which are being published right now.
 * A claim is atomic, so of concurrent deliveries of one event (on any replica) exactly one publishes; the
 * others wait for its outcome. A claim whose publish failed is released, and one whose holder died
 * expires, so the sender's retry publishes. Stores fail open: when the store cannot answer, the event is
 * published (perhaps a second time; consumers de-duplicate on (source, id)), never refused.
 */
export interface DedupStore {
  readonly kind: 'memory' | 'redis';
  claim(key: string): Promise<ClaimState>;
  /** The claimed event is in Kafka: remember it for the window. */
  published(key: string): Promise<void>;
  /** The claimed event's publish failed: give the claim back so a retry can publish. */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

export function dedupKey(source: string, id: string): string {
  return hash('sha256', `${source}\u0000${id}`, 'base64url');
}

/**
 * In-process window, bounded in size (oldest entries go first). Claims are never `pending` here: the
 * gateway joins concurrent deliveries of one event in process before it asks the store.
 */
export class MemoryDedupStore implements DedupStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string): Promise<ClaimState> {
    const expires = this.entries.get(key);
    if (expires === undefined) return 'claimed';
    if (expires > this.now()) return 'published';
    this.entries.delete(key);
    return 'claimed';
  }

  async published(key: string): Promise<void> {
    if (this.windowMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, this.now() + this.windowMs);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  async release(): Promise<void> {
    // Nothing was written for a claim.
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

export interface RedisDedupOptions {
  url: string;
  /** How long a published (source, id) is remembered. 0: not at all (claims still join concurrent deliveries). */
  windowMs: number;
  /** How long a claim lives if its holder never settles it (a crash): the publish timeout and a margin. */
  claimTtlMs: number;
  /** Called for every store operation that failed and was passed over. */
  onUnavailable: (operation: DedupStoreOperation, error: unknown) => void;
  prefix?: string;
  commandTimeoutMs?: number;
}

/**
 * Atomically: take the claim if nobody has one (`SET NX PX`), else say what the key holds. A value
 * starting with `p:` is a claim in progress (ours too: one process never claims a key twice, since it
 * joins its own deliveries first); any other value is a published event (`d`, or `1` as written before
 * claims existed).
 */
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'claimed' end
if string.sub(redis.call('GET', KEYS[1]), 1, 2) == 'p:' then return 'pending' end
return 'published'
`;

/** Deletes the key only while it still holds our claim (never a published mark, never another's claim). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface DedupCommands {
  dedupClaim(key: string, owner: string, ttlMs: number): Promise<ClaimState>;
  dedupRelease(key: string, owner: string): Promise<number>;
}

/** A window shared by every replica, in Redis: a claim is `p:<owner>` with a short TTL, a publish `d` for the window. */
export class RedisDedupStore implements DedupStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis & DedupCommands;
  /** This process's claims, so a release never deletes another replica's. */
  private readonly owner = `p:${randomUUID()}`;
  private readonly prefix: string;

  constructor(private readonly options: RedisDedupOptions) {
    this.prefix = options.prefix ?? 'broker-events:gateway:dedup:';
    // Loaded only with REDIS_URL set: without it the gateway never needs the client (nor its start-up cost).
    const { Redis } = require('ioredis') as typeof IoRedisModule;
    const redis = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on('error', () => undefined);
    redis.defineCommand('dedupClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.defineCommand('dedupRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.redis = redis as Redis & DedupCommands;
  }

  async claim(key: string): Promise<ClaimState> {
    try {
      return await this.redis.dedupClaim(this.prefix + key, this.owner, this.options.claimTtlMs);
    } catch (error) {
      this.options.onUnavailable('claim', error);
      return 'claimed';
    }
  }

  async published(key: string): Promise<void> {
    if (this.options.windowMs <= 0) return this.release(key);
    try {
      await this.redis.set(this.prefix + key, 'd', 'PX', this.options.windowMs);
    } catch (error) {
      // Our claim expires by itself; a delivery after that publishes again.
      this.options.onUnavailable('published', error);
    }
  }

  async release(key: string): Promise<void> {
    try {
      await this.redis.dedupRelease(this.prefix + key, this.owner);
    } catch (error) {
      // The claim expires by itself (claimTtlMs); until then other replicas wait for it.
      this.options.onUnavailable('release', error);
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
