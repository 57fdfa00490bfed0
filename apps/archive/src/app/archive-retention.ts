import type { AppLogger } from '@broker-events/observability';
import type { ArchiveStore, RetentionStep } from './store/archive-store';

export interface RetentionOptions {
  /** 0 = keep everything. */
  days: number;
  intervalMs: number;
  batch: number;
  /** Delay before the first run (default one minute, so a restart storm does not delete at once). */
  firstRunAfterMs?: number;
}

/**
 * ARCHIVE_RETENTION_DAYS: on a schedule, deletes what is older than the limit in bounded steps (one transaction
 * each, `batch` transfers per step) until nothing is left, yielding between steps so ingest batches interleave.
 * Whole transfers go at once, judged by their last arrival, so a timeline is never left half-deleted.
 */
export class ArchiveRetention {
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetentionStep>;
  private stopped = false;

  constructor(
    private readonly store: ArchiveStore,
    private readonly options: RetentionOptions,
    private readonly logger: AppLogger,
  ) {}

  start(): void {
    if (this.options.days <= 0) return;
    const schedule = (ms: number): void => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce().finally(() => {
          if (!this.stopped) schedule(this.options.intervalMs);
        });
        this.running.catch((error: unknown) => this.logger.warn({ err: error }, 'retention run failed'));
      }, ms);
      this.timer.unref();
    };
    schedule(this.options.firstRunAfterMs ?? 60_000);
  }

  /** One complete run: steps until a step deletes nothing (or the app stops). Returns the totals. */
  async runOnce(now = new Date()): Promise<RetentionStep> {
    const before = new Date(now.getTime() - this.options.days * 86_400_000);
    const total: RetentionStep = { transfers: 0, events: 0, deliveries: 0 };
    const started = Date.now();
    while (!this.stopped) {
      const step = await this.store.deleteExpired(before, this.options.batch);
      total.transfers += step.transfers;
      total.events += step.events;
      total.deliveries += step.deliveries;
      if (step.transfers + step.events + step.deliveries === 0) break;
      await new Promise((r) => setImmediate(r));
    }
    const seconds = (Date.now() - started) / 1000;
    if (total.transfers + total.events + total.deliveries > 0)
      this.logger.info(
        { ...total, before: before.toISOString(), seconds },
        'retention: deleted expired rows',
      );
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
