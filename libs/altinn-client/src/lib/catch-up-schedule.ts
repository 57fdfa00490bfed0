/**
 * The schedule of a catch-up read of Altinn (the poller's GET /events, the file fetcher's reconciliation
 * against Broker's list): a run after `firstDelayMs`, then each `intervalMs` after the previous one ended, so
 * runs never overlap; `runNow` joins a run in progress instead of starting a second; `stop` waits for it.
 */
export class CatchUpSchedule<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;
  private isStopped = false;

  constructor(
    private readonly run: () => Promise<T>,
    private readonly intervalMs: number,
    /** A run that threw (the run itself reports its ordinary failures). */
    private readonly onCrash: (error: unknown) => void,
  ) {}

  /** True once `stop` was called: a long run may end early. */
  get stopped(): boolean {
    return this.isStopped;
  }

  start(firstDelayMs: number): void {
    this.schedule(firstDelayMs);
  }

  /** Runs now (or joins the run in progress). */
  runNow(): Promise<T> {
    if (this.running) return this.running;
    const run = this.run().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** No further runs; resolves when a run in progress ended. */
  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.isStopped) return;
    this.timer = setTimeout(() => {
      void this.runNow()
        .catch(this.onCrash)
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
  }
}
