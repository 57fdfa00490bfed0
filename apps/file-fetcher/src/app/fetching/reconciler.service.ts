import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AltinnClient, CatchUpSchedule } from '@broker-events/altinn-client';
import { APP_LOGGER, type AppLogger } from '@broker-events/observability';
import { FILE_FETCHER_CONFIG, type FileFetcherConfig, resourceIds } from '../config/file-fetcher.config';
import { FileFetcherMetrics } from '../file-fetcher.metrics';
import { ALTINN_CLIENT, OUTCOME_STORE } from '../file-fetcher.tokens';
import type { OutcomeStore } from '../outcomes/outcome-store';
import { FileFetcher } from './file-fetcher';

export interface ReconcileResult {
  found: string[];
  fetched: string[];
  failed: { fileTransferId: string; error: string }[];
  /** Found but left alone: put aside earlier, or now, after RECONCILE_SET_ASIDE_AFTER failed attempts. */
  setAside: string[];
  listErrors: string[];
}

/** Broker's list answers at most this many ids per query (the newest). */
const BROKER_LIST_LIMIT = 100;
/** Safety stop for one walk (100 ids per page): far more than a resource holds in a window. */
const MAX_PAGES_PER_WALK = 1000;

/**
 * Catches transfers whose `published` event never came (Broker drops an event Events refused; Events drops one
 * after its retries): asks Broker for transfers on our resources that are Published and still await our
 * download (our status Initialized, or DownloadStarted from an attempt that did not finish), and fetches each.
 *
 * Broker lists at most the 100 newest per query, ordered by when they were published, so the reconciler walks
 * back through RECONCILE_WINDOW_DAYS: a full page is followed by a query with `to` = the publishing time of its
 * oldest transfer (read from its overview). A transfer that has failed RECONCILE_SET_ASIDE_AFTER times is put
 * aside with its last error instead of being retried every run (it would otherwise stay among the newest and
 * be retried ahead of everything else).
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly schedule: CatchUpSchedule<ReconcileResult>;

  constructor(
    @Inject(FILE_FETCHER_CONFIG) private readonly config: FileFetcherConfig,
    @Inject(ALTINN_CLIENT) private readonly altinn: AltinnClient,
    @Inject(OUTCOME_STORE) private readonly outcomes: OutcomeStore,
    private readonly fetcher: FileFetcher,
    private readonly metrics: FileFetcherMetrics,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.schedule = new CatchUpSchedule(
      () => this.reconcile(),
      config.RECONCILE_INTERVAL_SECONDS * 1000,
      (error) => logger.error({ err: String(error) }, 'reconciliation crashed'),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.RECONCILE_INTERVAL_SECONDS === 0) return;
    this.schedule.start(this.config.RECONCILE_ON_START ? 0 : this.config.RECONCILE_INTERVAL_SECONDS * 1000);
  }

  /** Runs one reconciliation now (or joins the one running). */
  reconcileNow(): Promise<ReconcileResult> {
    return this.schedule.runNow();
  }

  /** Every transfer in the window awaiting our download, newest first, walking back past Broker's 100. */
  private async walk(
    resourceId: string,
    recipientStatus: 'Initialized' | 'DownloadStarted',
    from: Date,
    seen: Set<string>,
  ): Promise<string[]> {
    const found: string[] = [];
    let to: Date | undefined;
    for (let page = 0; page < MAX_PAGES_PER_WALK; page++) {
      const ids = await this.altinn.broker.listFileTransfers({
        resourceId,
        status: 'Published',
        recipientStatus,
        role: 'Recipient',
        from,
        ...(to ? { to } : {}),
      });
      const fresh = ids.filter((id) => !seen.has(id));
      for (const id of fresh) {
        seen.add(id);
        found.push(id);
      }
      if (ids.length < BROKER_LIST_LIMIT || fresh.length === 0) break;
      // A full page: older ones may be hidden. `to` (inclusive) = when the oldest of this page was published.
      const oldest = await this.altinn.broker.getOverview(ids[ids.length - 1]);
      const at = Date.parse(oldest.fileTransferStatusChanged ?? oldest.published ?? '');
      if (!Number.isFinite(at) || (to !== undefined && at >= to.getTime())) break;
      to = new Date(at);
    }
    return found;
  }

  private async reconcile(): Promise<ReconcileResult> {
    const result: ReconcileResult = { found: [], fetched: [], failed: [], setAside: [], listErrors: [] };
    const from = new Date(Date.now() - this.config.RECONCILE_WINDOW_DAYS * 86_400_000);
    const resourceOf = new Map<string, string>();
    const seen = new Set<string>();
    for (const resourceId of resourceIds(this.config)) {
      for (const recipientStatus of ['Initialized', 'DownloadStarted'] as const) {
        try {
          const ids = await this.walk(resourceId, recipientStatus, from, seen);
          for (const id of ids) {
            result.found.push(id);
            resourceOf.set(id, resourceId);
          }
          if (ids.length > 0) this.metrics.reconcileFound.inc({ resource: resourceId }, ids.length);
        } catch (error) {
          result.listErrors.push(
            `${resourceId}/${recipientStatus}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
    const limit = this.config.RECONCILE_SET_ASIDE_AFTER;
    for (const id of result.found) {
      if (this.schedule.stopped) break;
      const resourceId = resourceOf.get(id) ?? '';
      const before = await this.outcomes.get(id).catch(() => undefined);
      if (before?.status === 'set_aside') {
        result.setAside.push(id);
        continue;
      }
      try {
        await this.fetcher.fetch(id, 'reconcile', resourceId);
        result.fetched.push(id);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.failed.push({ fileTransferId: id, error: message });
        const after = await this.outcomes.get(id).catch(() => undefined);
        const failures = after?.status === 'failed' ? after.attempts : 0;
        if (after && failures >= limit) {
          const reason = `set aside after ${failures} failed attempts: ${after.lastError ?? message}`;
          await this.outcomes.record({ ...after, status: 'set_aside', lastError: reason.slice(0, 500) });
          this.metrics.setAside.inc({ resource: resourceId });
          result.setAside.push(id);
          this.logger.error(
            { fileTransferId: id, resource: resourceId, attempts: failures, err: after.lastError },
            'transfer set aside: it failed every attempt; reconciliation leaves it alone from now on (GET /files/<id> shows why)',
          );
        }
      }
    }
    const outcome = result.listErrors.length > 0 ? 'list_error' : result.failed.length > 0 ? 'partial' : 'ok';
    this.metrics.reconcileRuns.inc({ outcome });
    const fields = {
      found: result.found.length,
      fetched: result.fetched.length,
      failed: result.failed.length,
      setAside: result.setAside.length,
      listErrors: result.listErrors,
    };
    if (outcome === 'ok')
      this.logger[result.found.length > 0 ? 'info' : 'debug'](fields, 'reconciliation done');
    else this.logger.warn(fields, 'reconciliation done with errors; the next run tries again');
    return result;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.schedule.stop();
  }
}
