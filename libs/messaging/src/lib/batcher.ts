export interface BatcherOptions<T = unknown> {
  /** Most items per flush (with `weight`: most total weight; an item heavier than that goes alone). */
  maxItems: number;
  /** Wait this long for more items before flushing (0 = what arrived in the same event-loop turn). */
  lingerMs: number;
  /** Flushes running at once. */
  maxInFlight: number;
  /** How much one item counts against `maxItems` (default 1). An item is never split across flushes. */
  weight?: (item: T) => number;
}

interface Waiting<T> {
  item: T;
  weight: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent `add` calls into one `flush(items)` call (e.g. one multi-row INSERT, one produce
 * request). Each caller's promise settles when the flush that carried its item did: resolved on success,
 * rejected with the flush's error otherwise. With the pipeline's key-ordered concurrency this turns a batch of
 * records into a few writes without giving up per-record outcomes; CoalescingPublisher uses the same queue for
 * produce requests (an item there is one caller's records, weighed by their count).
 */
export class Batcher<T> {
  private queue: Waiting<T>[] = [];
  private queuedWeight = 0;
  private inFlight = 0;
  private scheduled = false;
  private readonly idle = new Set<() => void>();
  private readonly weigh: (item: T) => number;

  constructor(
    /**
     * Writes a batch. Rejecting fails every item of it; resolving with an array fails only the items whose
     * entry is not undefined (with that entry as the error), e.g. after a row-by-row fallback.
     */
    private readonly flush: (items: T[]) => Promise<void | (unknown | undefined)[]>,
    private readonly options: BatcherOptions<T>,
  ) {
    this.weigh = options.weight ?? (() => 1);
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const weight = this.weigh(item);
      this.queue.push({ item, weight, resolve, reject });
      this.queuedWeight += weight;
      this.schedule();
    });
  }

  /** The total weight waiting for a flush (items, or records for a publisher). */
  get pending(): number {
    return this.queuedWeight;
  }

  /** Resolves once nothing is queued or in flight. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.idle.add(resolve);
        this.schedule();
      });
    }
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.run();
    };
    if (this.options.lingerMs > 0 && this.queuedWeight < this.options.maxItems)
      setTimeout(run, this.options.lingerMs);
    else setImmediate(run);
  }

  /** The next flush's items: as many as fit in `maxItems`, at least one, in arrival order. */
  private take(): Waiting<T>[] {
    let count = 0;
    let weight = 0;
    for (const w of this.queue) {
      if (count > 0 && weight + w.weight > this.options.maxItems) break;
      count++;
      weight += w.weight;
    }
    this.queuedWeight -= weight;
    return this.queue.splice(0, count);
  }

  private run(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      this.inFlight++;
      this.flush(batch.map((w) => w.item))
        .then(
          (errors) =>
            batch.forEach((w, i) => {
              const error = errors ? errors[i] : undefined;
              if (error === undefined) w.resolve();
              else w.reject(error);
            }),
          (error: unknown) => batch.forEach((w) => w.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.schedule();
          else if (this.inFlight === 0) {
            for (const done of this.idle) done();
            this.idle.clear();
          }
        });
    }
  }
}
