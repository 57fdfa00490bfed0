import { type RunResult, runKeyOrdered } from './key-ordered-scheduler';

interface Item {
  key: string;
  n: number;
}

/** A run whose end the test decides: `release(n, result)` or `fail(n, error)`. */
class Gate {
  readonly started: number[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (r: RunResult) => void; reject: (e: unknown) => void }
  >();
  run = (item: Item): Promise<RunResult> => {
    this.started.push(item.n);
    return new Promise((resolve, reject) => this.pending.set(item.n, { resolve, reject }));
  };
  release(n: number, result: RunResult = 'done'): void {
    this.take(n).resolve(result);
  }
  fail(n: number, error: unknown): void {
    this.take(n).reject(error);
  }
  private take(n: number) {
    const p = this.pending.get(n);
    if (!p) throw new Error(`item ${n} has not started`);
    this.pending.delete(n);
    return p;
  }
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function items(...keys: string[]): Item[] {
  return keys.map((key, n) => ({ key, n }));
}

/** Runs `keys` through the gate, noting completions in order. */
function gated(gate: Gate, concurrency: number, ...keys: string[]) {
  const completed: number[] = [];
  const result = runKeyOrdered(items(...keys), {
    concurrency,
    keyOf: (i) => i.key,
    admit: () => true,
    run: gate.run,
    completed: (i) => completed.push(i.n),
  });
  return { completed, result };
}

describe('runKeyOrdered', () => {
  it('runs different keys at once up to the limit, one key after another, and completes in input order', async () => {
    const gate = new Gate();
    const { completed, result } = gated(gate, 3, 'a', 'b', 'a', 'c', 'd');
    await turns();
    // a, b and the second a are taken (3 slots), but the second a waits for the first.
    expect(gate.started).toEqual([0, 1]);
    gate.release(1);
    await turns();
    expect(gate.started).toEqual([0, 1, 3]);
    expect(completed).toEqual([]); // item 0 is still running: nothing completes past it
    gate.release(0);
    await turns();
    // the second a follows the first; the slot item 0 left takes d
    expect(gate.started).toEqual([0, 1, 3, 2, 4]);
    expect(completed).toEqual([0, 1]);
    gate.release(4);
    gate.release(3);
    await turns();
    expect(completed).toEqual([0, 1]); // item 2 is still running
    gate.release(2);
    expect(await result).toEqual({ taken: 5, completed: 5 });
    expect(completed).toEqual([0, 1, 2, 3, 4]);
  });

  it('after an interruption, later items of that key are not run and nothing completes past it', async () => {
    const gate = new Gate();
    const { completed, result } = gated(gate, 4, 'a', 'a', 'b');
    await turns();
    gate.release(2);
    gate.release(0, 'interrupted');
    expect(await result).toEqual({ taken: 3, completed: 0 });
    expect(gate.started).toEqual([0, 2]);
    expect(completed).toEqual([]);
  });

  it('stops taking items when admit says no, or after a run threw, and reports the first error', async () => {
    const gate = new Gate();
    const admitted = runKeyOrdered(items('a', 'b', 'c'), {
      concurrency: 1,
      keyOf: (i) => i.key,
      admit: (i) => i.n < 2,
      run: () => Promise.resolve<RunResult>('done'),
      completed: () => undefined,
    });
    expect(await admitted).toEqual({ taken: 2, completed: 2 });

    const boom = new Error('boom');
    const failing = gated(gate, 1, 'a', 'b', 'c');
    await turns();
    gate.fail(0, boom);
    expect(await failing.result).toEqual({ taken: 1, completed: 0, failure: boom });
  });
});
