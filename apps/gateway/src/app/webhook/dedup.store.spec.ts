import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { until } from '@broker-events/testing';
import { MemoryDedupStore, type RedisDedupOptions, RedisDedupStore, dedupKey } from './dedup.store';

describe('dedupKey', () => {
  it('separates source and id so that shifted boundaries do not collide', () => {
    expect(dedupKey('ab', 'c')).not.toBe(dedupKey('a', 'bc'));
    expect(dedupKey('s', 'i')).toBe(dedupKey('s', 'i'));
  });
});

describe('MemoryDedupStore', () => {
  it('answers published for the window after a publish, then forgets', async () => {
    let now = 1_000;
    const store = new MemoryDedupStore(500, 10, () => now);
    expect(await store.claim('a')).toBe('claimed');
    await store.published('a');
    expect([await store.claim('a'), await store.claim('b')]).toEqual(['published', 'claimed']);
    now += 499;
    expect(await store.claim('a')).toBe('published');
    now += 1;
    expect(await store.claim('a')).toBe('claimed');
  });

  it('forgets a released claim (a failed publish)', async () => {
    const store = new MemoryDedupStore(60_000, 10);
    expect(await store.claim('a')).toBe('claimed');
    await store.release();
    expect(await store.claim('a')).toBe('claimed');
  });

  it('stays within its size bound by dropping the oldest keys', async () => {
    const store = new MemoryDedupStore(60_000, 3);
    for (const k of ['1', '2', '3', '4']) await store.published(k);
    expect(store.size).toBe(3);
    const states = [];
    for (const k of ['1', '2', '3', '4']) states.push(await store.claim(k));
    expect(states).toEqual(['claimed', 'published', 'published', 'published']);
  });

  it('remembers nothing with a zero window', async () => {
    const store = new MemoryDedupStore(0, 3);
    await store.published('1');
    expect(await store.claim('1')).toBe('claimed');
  });
});

describe('RedisDedupStore (real Redis at REDIS_URL or 127.0.0.1:6379)', () => {
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
  const stores: RedisDedupStore[] = [];
  const failures: string[] = [];

  /** Two stores on one prefix are two replicas sharing the window. */
  function replicas(options: Partial<RedisDedupOptions> = {}): [RedisDedupStore, RedisDedupStore] {
    const prefix = `test:${randomUUID()}:`;
    const make = () => {
      const store = new RedisDedupStore({
        url,
        windowMs: 60_000,
        claimTtlMs: 5_000,
        onUnavailable: (operation) => failures.push(operation),
        prefix,
        ...options,
      });
      stores.push(store);
      return store;
    };
    return [make(), make()];
  }

  beforeEach(() => {
    failures.length = 0;
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('lets exactly one of many concurrent claims on a key win, across replicas', async () => {
    const [a, b] = replicas();
    await connected(a);
    await connected(b);
    const key = dedupKey('source', randomUUID());
    const states = await Promise.all([a, b, a, b, b, a].map((s) => s.claim(key)));
    expect(states.filter((s) => s === 'claimed')).toHaveLength(1);
    expect(states.filter((s) => s === 'pending')).toHaveLength(5);
    expect(failures).toEqual([]);
  });

  it('answers published to every replica once the holder marked it published', async () => {
    const [a, b] = replicas();
    await connected(a);
    const key = dedupKey('source', randomUUID());
    expect(await a.claim(key)).toBe('claimed');
    await a.published(key);
    expect(await b.claim(key)).toBe('published');
    expect(await a.claim(key)).toBe('published');
  });

  it('gives the claim to another replica when the holder releases it (its publish failed)', async () => {
    const [a, b] = replicas();
    await connected(a);
    const key = dedupKey('source', randomUUID());
    expect(await a.claim(key)).toBe('claimed');
    expect(await b.claim(key)).toBe('pending');
    // Its holder asking again sees it pending too: a claim is never handed out twice.
    expect(await a.claim(key)).toBe('pending');
    await a.release(key);
    expect(await b.claim(key)).toBe('claimed');
    // A release by the former holder does not take the new holder's claim away.
    await a.release(key);
    expect(await a.claim(key)).toBe('pending');
  });

  it('never releases a published mark', async () => {
    const [a, b] = replicas();
    await connected(a);
    const key = dedupKey('source', randomUUID());
    expect(await a.claim(key)).toBe('claimed');
    await a.published(key);
    await a.release(key);
    await b.release(key);
    expect(await b.claim(key)).toBe('published');
  });

  it('lets a claim expire when its holder never settles it (a crash)', async () => {
    const [a, b] = replicas({ claimTtlMs: 300 });
    await connected(a);
    const key = dedupKey('source', randomUUID());
    expect(await a.claim(key)).toBe('claimed');
    expect(await b.claim(key)).toBe('pending');
    await until('the claim expired', async () => (await b.claim(key)) !== 'pending', 5_000, 50);
    expect(await a.claim(key)).toBe('pending');
  });

  it('reads a window entry written before claims existed (value 1) as published', async () => {
    const [a] = replicas({ prefix: `test:${randomUUID()}:` });
    await connected(a);
    const key = dedupKey('source', randomUUID());
    const raw = new Redis(url);
    try {
      await raw.set(`${(a as unknown as { prefix: string }).prefix}${key}`, '1', 'PX', 60_000);
    } finally {
      raw.disconnect();
    }
    expect(await a.claim(key)).toBe('published');
  });

  it('fails open (claimed: publish) and reports every operation it passed over when Redis is unreachable', async () => {
    const store = new RedisDedupStore({
      url: 'redis://127.0.0.1:1/0',
      windowMs: 60_000,
      claimTtlMs: 5_000,
      onUnavailable: (operation) => failures.push(operation),
    });
    stores.push(store);
    expect(await store.claim('k')).toBe('claimed');
    await store.published('k');
    await store.release('k');
    expect(await store.claim('k')).toBe('claimed');
    expect(failures).toEqual(['claim', 'published', 'release', 'claim']);
  });

  async function connected(store: RedisDedupStore): Promise<void> {
    await until(`Redis at ${url} answers`, async () => {
      const probe = `probe-${randomUUID()}`;
      failures.length = 0;
      await store.claim(probe);
      await store.release(probe);
      return failures.length === 0;
    });
    failures.length = 0;
  }
});
