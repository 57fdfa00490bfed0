export interface BatcherOptions {
  /** Most items per flush. */
  maxItems: number;
  /** Wait this long for more items before flushing (0 = what arrived in the same event-loop turn). */
  lingerMs: number;
  /** Flushes running at once. */
  maxInFlight: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent `add` calls into one `flush(items)` call (e.g. one multi-row INSERT). Each caller's
 * promise settles when the flush that carried its item did: resolved on success, rejected with the flush's
 * error otherwise. With the pipeline's key-ordered concurrency this turns a batch of records into a few writes
 * without giving up per-record outcomes.
 */
export class Batcher<T> {
  private queue: Waiting<T>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idle = new Set<() => void>();

  constructor(
    /**
     * Writes a batch. Rejecting fails every item of it; resolving with an array fails only the items whose
     * entry is not undefined (with that entry as the error), e.g. after a row-by-row fallback.
     */
    private readonly flush: (items: T[]) => Promise<void | (unknown | undefined)[]>,
    private readonly options: BatcherOptions,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
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
    if (this.options.lingerMs > 0 && this.queue.length < this.options.maxItems)
      setTimeout(run, this.options.lingerMs);
    else setImmediate(run);
  }

  private run(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxItems);
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
