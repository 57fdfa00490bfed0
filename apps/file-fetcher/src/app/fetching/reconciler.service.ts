import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AltinnClient } from '@broker-events/altinn-client';
import { APP_LOGGER, type AppLogger } from '@broker-events/observability';
import { FILE_FETCHER_CONFIG, type FileFetcherConfig, resourceIds } from '../config/file-fetcher.config';
import { FileFetcherMetrics } from '../file-fetcher.metrics';
import { ALTINN_CLIENT } from '../file-fetcher.tokens';
import { FileFetcher } from './file-fetcher';

export interface ReconcileResult {
  found: string[];
  fetched: string[];
  failed: { fileTransferId: string; error: string }[];
  listErrors: string[];
}

/**
 * Catches transfers whose `published` event never came (Broker drops an event Events refused; Events drops one
 * after its retries): asks Broker for transfers on our resources that are Published and still await our
 * download (our status Initialized, or DownloadStarted from an attempt that did not finish), and fetches each.
 * Broker lists at most the 100 newest per query, so a long outage is worked off over several runs.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<ReconcileResult>;
  private stopped = false;

  constructor(
    @Inject(FILE_FETCHER_CONFIG) private readonly config: FileFetcherConfig,
    @Inject(ALTINN_CLIENT) private readonly altinn: AltinnClient,
    private readonly fetcher: FileFetcher,
    private readonly metrics: FileFetcherMetrics,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.RECONCILE_INTERVAL_SECONDS === 0) return;
    this.schedule(this.config.RECONCILE_ON_START ? 0 : this.config.RECONCILE_INTERVAL_SECONDS * 1000);
  }

  /** Runs one reconciliation now (or joins the one running). */
  reconcileNow(): Promise<ReconcileResult> {
    if (this.running) return this.running;
    const run = this.reconcile().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.reconcileNow()
        .catch((error: unknown) => this.logger.error({ err: String(error) }, 'reconciliation crashed'))
        .finally(() => this.schedule(this.config.RECONCILE_INTERVAL_SECONDS * 1000));
    }, delayMs);
  }

  private async reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { found: [], fetched: [], failed: [], listErrors: [] };
    for (const resourceId of resourceIds(this.config)) {
      for (const recipientStatus of ['Initialized', 'DownloadStarted'] as const) {
        try {
          const ids = await this.altinn.broker.listFileTransfers({
            resourceId,
            status: 'Published',
            recipientStatus,
            role: 'Recipient',
          });
          for (const id of ids) if (!result.found.includes(id)) result.found.push(id);
          if (ids.length > 0) this.metrics.reconcileFound.inc({ resource: resourceId }, ids.length);
        } catch (error) {
          result.listErrors.push(
            `${resourceId}/${recipientStatus}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
    for (const id of result.found) {
      if (this.stopped) break;
      try {
        await this.fetcher.fetch(id, 'reconcile');
        result.fetched.push(id);
      } catch (error) {
        result.failed.push({
          fileTransferId: id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    const outcome = result.listErrors.length > 0 ? 'list_error' : result.failed.length > 0 ? 'partial' : 'ok';
    this.metrics.reconcileRuns.inc({ outcome });
    const fields = {
      found: result.found.length,
      fetched: result.fetched.length,
      failed: result.failed.length,
      listErrors: result.listErrors,
    };
    if (outcome === 'ok')
      this.logger[result.found.length > 0 ? 'info' : 'debug'](fields, 'reconciliation done');
    else this.logger.warn(fields, 'reconciliation done with errors; the next run tries again');
    return result;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
