import { randomUUID } from 'node:crypto';
import { createLogger } from '@broker-events/observability';
import { MemoryDedupStore, RedisDedupStore, dedupKey } from './dedup.store';

describe('dedupKey', () => {
  it('separates source and id so that shifted boundaries do not collide', () => {
    expect(dedupKey('ab', 'c')).not.toBe(dedupKey('a', 'bc'));
    expect(dedupKey('s', 'i')).toBe(dedupKey('s', 'i'));
  });
});

describe('MemoryDedupStore', () => {
  it('remembers keys for the window, then forgets them', async () => {
    let now = 1_000;
    const store = new MemoryDedupStore(500, 10, () => now);
    await store.remember(['a']);
    expect(await store.seen(['a', 'b'])).toEqual([true, false]);
    now += 499;
    expect(await store.seen(['a'])).toEqual([true]);
    now += 1;
    expect(await store.seen(['a'])).toEqual([false]);
  });

  it('stays within its size bound by dropping the oldest keys', async () => {
    const store = new MemoryDedupStore(60_000, 3);
    await store.remember(['1', '2', '3', '4']);
    expect(store.size).toBe(3);
    expect(await store.seen(['1', '2', '3', '4'])).toEqual([false, true, true, true]);
  });

  it('remembers nothing with a zero window', async () => {
    const store = new MemoryDedupStore(0, 3);
    await store.remember(['1']);
    expect(await store.seen(['1'])).toEqual([false]);
  });
});

describe('RedisDedupStore (real Redis at REDIS_URL or 127.0.0.1:6379)', () => {
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
  const logger = createLogger('test', 'silent');

  it('shares the window between two store instances, as between replicas', async () => {
    const prefix = `test:${randomUUID()}:`;
    const a = new RedisDedupStore(url, 60_000, logger, prefix);
    const b = new RedisDedupStore(url, 60_000, logger, prefix);
    try {
      const key = dedupKey('source', randomUUID());
      await waitConnected(a);
      expect(await b.seen([key])).toEqual([false]);
      await a.remember([key]);
      expect(await b.seen([key, 'other'])).toEqual([true, false]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails open (publishes again) when Redis is unreachable', async () => {
    const store = new RedisDedupStore('redis://127.0.0.1:1/0', 60_000, logger);
    try {
      await store.remember(['k']);
      expect(await store.seen(['k'])).toEqual([false]);
    } finally {
      await store.close();
    }
  });

  async function waitConnected(store: RedisDedupStore): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await store.remember(['probe']);
      if ((await store.seen(['probe']))[0]) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Redis at ${url} not reachable`);
  }
});
