import type { AppLogger } from '@broker-events/observability';
import { Gauge, type Registry } from 'prom-client';
import type { ArchiveStore } from './store/archive-store';
import type { SummaryLag } from './store/read-model';

export interface SummarizerOptions {
  intervalMs: number;
  /** Dirty transfers claimed per transaction. */
  batch: number;
  /** A readiness note appears when the oldest unsummarised mark is older than this. */
  lagWarnSeconds: number;
}

/**
 * Keeps the read model (transfers, transfer_orgs) in step with ingest, off its hot path: every `intervalMs` it
 * claims dirty transfers in chunks until none are left, and publishes the lag (dirty count, oldest mark) as
 * gauges and, when it grows, as a readiness note. Search and attention are therefore eventually consistent
 * (normally well under a second); timelines read the events themselves.
 */
export class ArchiveSummarizer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lag: SummaryLag = { dirtyTransfers: 0, oldestSeconds: 0 };
  private readonly dirtyGauge: Gauge;
  private readonly oldestGauge: Gauge;

  constructor(
    private readonly store: ArchiveStore,
    private readonly options: SummarizerOptions,
    registry: Registry,
    private readonly logger: AppLogger,
  ) {
    this.dirtyGauge = new Gauge({
      name: 'archive_summary_dirty_transfers',
      help: 'Transfers with archived events not yet in their summary (search and attention lag behind by these).',
      registers: [registry],
    });
    this.oldestGauge = new Gauge({
      name: 'archive_summary_oldest_dirty_seconds',
      help: 'Age of the oldest transfer waiting for its summary (0 when none).',
      registers: [registry],
    });
  }

  start(): void {
    const schedule = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .then(() => undefined)
          .catch((error: unknown) => this.logger.warn({ err: error }, 'summarizer run failed'))
          .finally(() => {
            if (!this.stopped) schedule();
          });
      }, this.options.intervalMs);
      this.timer.unref();
    };
    schedule();
  }

  /** Summarises until no dirty transfer is left (or the app stops), then measures the lag. Returns the count. */
  async runOnce(): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const claimed = await this.store.summarizeDirty(this.options.batch);
      total += claimed;
      if (claimed < this.options.batch) break;
      await new Promise((r) => setImmediate(r));
    }
    this.lag = await this.store.summaryLag();
    this.dirtyGauge.set(this.lag.dirtyTransfers);
    this.oldestGauge.set(this.lag.oldestSeconds);
    return total;
  }

  /** The readiness note: text only while the summaries are further behind than the configured limit. */
  note(): string | undefined {
    return this.lag.oldestSeconds > this.options.lagWarnSeconds
      ? `read model behind: ${this.lag.dirtyTransfers} transfers dirty, oldest ${Math.round(this.lag.oldestSeconds)} s`
      : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
