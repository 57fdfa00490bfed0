/** How one item's run ended: `done` (its offset may be committed) or `interrupted` (read again later). */
export type RunResult = 'done' | 'interrupted';

export interface KeyOrderedOptions<T> {
  /** Items in flight at once. */
  concurrency: number;
  /** Items with the same key run one after another, in input order. */
  keyOf(item: T): string;
  /** Asked before each item is taken; false stops taking items (the rest wait for the next fetch). */
  admit(item: T): boolean;
  run(item: T): Promise<RunResult>;
  /** Called for each item that ended `done`, in input order, once every item before it has too. */
  completed(item: T): void;
}

export interface KeyOrderedResult {
  /** Items taken (admitted and started). */
  taken: number;
  /** Items completed in order: the first `completed` items of the input, a prefix of the taken ones. */
  completed: number;
  /** The first error a run threw; later items were not started. */
  failure?: unknown;
}

/**
 * Runs items with bounded concurrency, keeping the order within each key: the scheduling part of the pipeline,
 * with no Kafka in it. Once an item of a key is interrupted or fails, the later items of that key are not run
 * (they end `interrupted`), so a key's order survives a redelivery. Resolves when every started run has ended.
 */
export async function runKeyOrdered<T>(
  items: readonly T[],
  options: KeyOrderedOptions<T>,
): Promise<KeyOrderedResult> {
  const concurrency = Math.max(1, options.concurrency);
  const finished: boolean[] = [];
  let next = 0;
  const advance = (): void => {
    while (next < finished.length && finished[next]) options.completed(items[next++]);
  };
  const lanes = new Map<string, Promise<RunResult | 'failed'>>();
  const inFlight = new Set<Promise<unknown>>();
  // A slot opens when any task settles (a counter and one waiter, not Promise.race over every task).
  let slotFreed: (() => void) | undefined;
  let failure: unknown;
  let failed = false;

  for (const [index, item] of items.entries()) {
    if (failed || !options.admit(item)) break;
    while (inFlight.size >= concurrency) await new Promise<void>((r) => (slotFreed = r));
    if (failed) break;
    finished.push(false);
    const key = options.keyOf(item);
    const previous = lanes.get(key) ?? Promise.resolve<RunResult | 'failed'>('done');
    const task = previous
      .then((before) => (before !== 'done' || failed ? ('interrupted' as const) : options.run(item)))
      .then(
        (result) => {
          if (result === 'done') finished[index] = true;
          advance();
          return result;
        },
        (error: unknown) => {
          if (!failed) failure = error;
          failed = true;
          return 'failed' as const;
        },
      );
    lanes.set(key, task);
    inFlight.add(task);
    void task.then(() => {
      inFlight.delete(task);
      const wake = slotFreed;
      slotFreed = undefined;
      wake?.();
    });
  }
  await Promise.all(inFlight);
  advance();
  return { taken: finished.length, completed: next, ...(failed ? { failure } : {}) };
}
