import { Batcher } from './batcher';

describe('Batcher', () => {
  it('coalesces concurrent adds into bounded flushes and settles each caller with its flush', async () => {
    const flushes: number[][] = [];
    const batcher = new Batcher<number>(
      async (items) => {
        flushes.push(items);
        if (items.includes(13)) throw new Error('bad batch');
      },
      { maxItems: 10, lingerMs: 0, maxInFlight: 1 },
    );
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => batcher.add(i)));
    expect(flushes.map((f) => f.length)).toEqual([10, 10, 5]);
    expect(flushes.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await batcher.drain();
  });

  it('fails only the items a flush reports as failed', async () => {
    const batcher = new Batcher<number>(
      async (items) => items.map((i) => (i % 2 === 1 ? new Error(`odd ${i}`) : undefined)),
      {
        maxItems: 100,
        lingerMs: 1,
        maxInFlight: 2,
      },
    );
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => batcher.add(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  });
});

describe('Batcher with weights', () => {
  it('fills a flush up to maxItems of weight, never splits an item, and sends an oversized item alone', async () => {
    const flushes: string[][] = [];
    const batcher = new Batcher<string>(
      async (items) => {
        flushes.push(items);
      },
      { maxItems: 5, lingerMs: 0, maxInFlight: 1, weight: (s) => s.length },
    );
    expect(batcher.pending).toBe(0);
    const adds = ['aa', 'bb', 'c', 'dddddddd', 'ee', 'fff'].map((s) => batcher.add(s));
    expect(batcher.pending).toBe(18);
    await Promise.all(adds);
    expect(flushes).toEqual([['aa', 'bb', 'c'], ['dddddddd'], ['ee', 'fff']]);
    expect(batcher.pending).toBe(0);
    await batcher.drain();
  });
});
