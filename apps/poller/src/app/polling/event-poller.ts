import {
  type KafkaRecord,
  ORGANISATION_URN_PREFIX,
  parseCloudEvent,
  quarantineRecord,
  toKafkaRecord,
} from '@broker-events/contracts';
import { AltinnApiError, type EventsClient } from '@broker-events/altinn-client';
import type { AppLogger } from '@broker-events/observability';
import type { CursorStore } from '../cursor/cursor-store';
import type { PollOutcome, PollerMetrics } from '../poller.metrics';

export interface EventPollerOptions {
  resources: string[];
  organisationNumber?: string;
  types: string[];
  pageSize: number;
  maxPagesPerRun: number;
  initialCursor: 'latest' | 'beginning';
  topic: string;
  quarantineTopic: string;
  /** Report a resource whose cursor has not moved for this long; 0: never. */
  stallAfterMs: number;
  now?: () => number;
}

export interface ResourcePollResult {
  resource: string;
  outcome: PollOutcome;
  published: number;
  quarantined: number;
  pages: number;
  cursor?: string;
  error?: string;
}

/** The id Altinn pages on, even for an event that fails our validation (so the cursor still moves past it). */
function rawId(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const id = (event as Record<string, unknown>)['id'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * One poll: for each resource, read `GET /events` from the saved cursor, page by page (following `next`),
 * publish each page with the gateway's mapping (`parseCloudEvent` → `toKafkaRecord`, invalid events to the
 * quarantine topic), and save the cursor only after Kafka acknowledged the page. Duplicates of what webhooks
 * already delivered are published again on purpose: the gateway's duplicate window is per gateway, and every
 * consumer is idempotent on (source, id).
 */
export class EventPoller {
  /** When each resource's cursor last moved (or when we started). */
  private readonly movedAt = new Map<string, number>();
  private readonly stalled = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly events: EventsClient,
    private readonly publish: (records: KafkaRecord[]) => Promise<void>,
    private readonly cursors: CursorStore,
    private readonly metrics: PollerMetrics,
    private readonly logger: AppLogger,
    private readonly options: EventPollerOptions,
  ) {
    this.now = options.now ?? Date.now;
    for (const resource of options.resources) this.moved(resource);
  }

  private moved(resource: string): void {
    const at = this.now();
    this.movedAt.set(resource, at);
    this.metrics.cursorMoved.set({ resource }, at / 1000);
  }

  /**
   * Resources whose cursor has not moved for `stallAfterMs`. Altinn's GET /events cannot tell us that events
   * exist behind an empty page (it filters by authorization after the page limit), so time without progress is
   * the signal. Sets `poller_stalled` and logs once when a resource stalls and once when it recovers.
   */
  checkProgress(): string[] {
    if (this.options.stallAfterMs <= 0) return [];
    const now = this.now();
    for (const resource of this.options.resources) {
      const since = this.movedAt.get(resource) ?? now;
      const stalled = now - since > this.options.stallAfterMs;
      this.metrics.stalled.set({ resource }, stalled ? 1 : 0);
      if (stalled && !this.stalled.has(resource)) {
        this.stalled.add(resource);
        const seconds = Math.round((now - since) / 1000);
        this.logger.error(
          {
            resource,
            secondsWithoutProgress: seconds,
            subjectFilter: this.options.organisationNumber !== undefined,
          },
          this.options.organisationNumber === undefined
            ? `no progress on ${resource} for ${seconds} s: without a subject filter Altinn returns an empty page when the next page-full of events are ones we may not read, and newer events behind them stay hidden. Set POLL_ORGANISATION_NUMBER`
            : `no new events on ${resource} for ${seconds} s: if Altinn has newer events for us (the gateway received some, or Broker lists new transfers), check that organisation ${this.options.organisationNumber} has the "subscribe" right on the resource; otherwise raise POLL_STALL_AFTER_SECONDS`,
        );
      } else if (!stalled && this.stalled.delete(resource)) {
        this.logger.info({ resource }, 'the cursor moves again');
      }
    }
    return [...this.stalled];
  }

  async pollAll(): Promise<ResourcePollResult[]> {
    const results: ResourcePollResult[] = [];
    for (const resource of this.options.resources) results.push(await this.pollResource(resource));
    return results;
  }

  private query(resource: string, after: string) {
    return {
      resource,
      after,
      size: this.options.pageSize,
      types: this.options.types,
      ...(this.options.organisationNumber
        ? { subject: `${ORGANISATION_URN_PREFIX}${this.options.organisationNumber}` }
        : {}),
    };
  }

  async pollResource(resource: string): Promise<ResourcePollResult> {
    const end = this.metrics.pollDuration.startTimer({ resource });
    const result: ResourcePollResult = { resource, outcome: 'ok', published: 0, quarantined: 0, pages: 0 };
    try {
      let cursor: string | undefined;
      try {
        cursor = await this.cursors.get(resource);
      } catch (error) {
        return this.failed(result, 'cursor_error', error);
      }
      if (cursor === undefined) {
        cursor = this.options.initialCursor === 'beginning' ? '0' : await this.skipToLatest(resource, result);
        if (cursor === undefined) return result;
      }
      result.cursor = cursor;
      for await (const page of readAhead(
        this.events.pages(this.query(resource, cursor), this.options.maxPagesPerRun),
      )) {
        result.pages++;
        this.metrics.pages.inc({ resource });
        if (page.events.length === 0) break;
        const records: KafkaRecord[] = [];
        const types: string[] = [];
        let quarantined = 0;
        let last: string | undefined;
        for (const raw of page.events) {
          last = rawId(raw) ?? last;
          const parsed = parseCloudEvent(raw);
          if (parsed.ok && parsed.kind !== 'handshake') {
            records.push({ ...toKafkaRecord(parsed.event, parsed.canonicalType), topic: this.options.topic });
            types.push(parsed.canonicalType);
          } else if (!parsed.ok) {
            quarantined++;
            records.push({
              ...quarantineRecord(Buffer.from(JSON.stringify(raw) ?? 'null', 'utf8'), parsed.violations, {
                receivedAt: new Date().toISOString(),
                contentType: 'application/cloudevents+json',
                remoteAddress: `poller:${resource}`,
              }),
              topic: this.options.quarantineTopic,
            });
          }
        }
        try {
          await this.publish(records);
        } catch (error) {
          return this.failed(result, 'kafka_error', error);
        }
        result.published += types.length;
        result.quarantined += quarantined;
        for (const type of types) this.metrics.recovered.inc({ resource, type });
        if (quarantined > 0) this.metrics.quarantined.inc({ resource }, quarantined);
        if (last === undefined) {
          // A page of events without ids cannot move the cursor: stop rather than loop on it.
          this.logger.error({ resource }, 'a GET /events page had no event ids; cursor not moved');
          break;
        }
        try {
          await this.cursors.set(resource, last);
        } catch (error) {
          return this.failed(result, 'cursor_error', error);
        }
        if (last !== result.cursor) this.moved(resource);
        result.cursor = last;
      }
      this.metrics.lastSuccess.setToCurrentTime({ resource });
      this.metrics.polls.inc({ resource, outcome: 'ok' });
      if (result.published + result.quarantined > 0) {
        this.logger.info(
          { resource, published: result.published, quarantined: result.quarantined, pages: result.pages },
          'polled events published',
        );
      } else {
        this.logger.debug({ resource, pages: result.pages }, 'poll found nothing new');
      }
      return result;
    } catch (error) {
      return this.failed(result, 'altinn_error', error);
    } finally {
      end();
      this.checkProgress();
    }
  }

  /** POLL_INITIAL_CURSOR=latest: read to the end without publishing, and start from there. */
  private async skipToLatest(resource: string, result: ResourcePollResult): Promise<string | undefined> {
    let last = '0';
    let skipped = 0;
    for await (const page of this.events.pages(this.query(resource, '0'))) {
      result.pages++;
      for (const raw of page.events) last = rawId(raw) ?? last;
      skipped += page.events.length;
    }
    await this.cursors.set(resource, last);
    this.moved(resource);
    this.metrics.skippedOnStart.inc({ resource }, skipped);
    this.logger.info(
      { resource, skipped },
      'no saved cursor: starting after the newest event Altinn holds (POLL_INITIAL_CURSOR=latest)',
    );
    return last;
  }

  private failed(result: ResourcePollResult, outcome: PollOutcome, error: unknown): ResourcePollResult {
    result.outcome = outcome;
    result.error = error instanceof Error ? error.message : String(error);
    this.metrics.polls.inc({ resource: result.resource, outcome });
    const fields = {
      resource: result.resource,
      outcome,
      err: result.error,
      published: result.published,
      cursor: result.cursor,
    };
    if (error instanceof AltinnApiError && error.retryable)
      this.logger.warn(fields, 'poll failed; the next poll continues from the saved cursor');
    else this.logger.error(fields, 'poll failed; the next poll continues from the saved cursor');
    return result;
  }
}

/**
 * Yields the pages of `source` while already fetching the next one, so the GET of page n+1 overlaps the
 * validation, publish and cursor write of page n (a replay was one round trip per page slower). The cursor still
 * moves only after a page was published; a page fetched ahead and not used is simply dropped (a failed
 * read-ahead surfaces only when that page is asked for).
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  next.catch(() => undefined);
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = source.next();
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    // Stopped early (a break, a failed publish): let the generator finish its pending read, then close it.
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}
