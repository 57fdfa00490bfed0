import {
  type AttentionReport,
  CONSUMER_NAME_PATTERN,
  DELIVERY_OUTCOMES,
  type DeliveryOutcome,
  type DeliveryReport,
  RESOURCE_URN_PREFIX,
  type TimelineEntry,
  type TransferPage,
  type TransferTimeline,
  isRfc3339,
} from '@broker-events/contracts';
import { Controller, Get, Inject, Param, Query, UseFilters } from '@nestjs/common';
import { ARCHIVE_CONFIG, type ArchiveConfig } from './config/archive.config';
import { ARCHIVE_STORE } from './archive.tokens';
import { ProblemFilter, QueryCheck, notFound } from './problem';
import type { ArchiveStore, ArchivedEvent } from './store/archive-store';
import { type TransferQuery, decodeCursor } from './store/read-model';

const MAX_PARAM = 512;
/** Largest page of the read-model endpoints (transfers, attention, deliveries). */
export const READ_MODEL_MAX_LIMIT = 200;
const READ_MODEL_DEFAULT_LIMIT = 50;
const DEFAULT_UNCONFIRMED_AFTER_S = 86_400;
const DEFAULT_QUIET_AFTER_S = 21_600;

type RawQuery = Record<string, unknown>;

/**
 * Read API for audit, lookup and the console (docs/operations.md lists it). Every error is problem+json; a bad
 * query names every violation.
 *   GET /archive/events/:id                       every archived event with that id (one per source, normally one)
 *   GET /archive/file-transfers/:id/events        events of one file transfer, oldest first
 *   GET /archive/events?from=…&to=…[&on=time|received][&limit=n]   a time range, half-open [from, to)
 *   GET /archive/transfers?fileTransferId&org&resource&type&from&to&after&limit   transfers, newest first
 *   GET /archive/transfers/:fileTransferId        one transfer's timeline, with each event's delivery reports
 *   GET /archive/attention?unconfirmedAfter&quietAfter&limit
 *   GET /archive/deliveries?consumer&outcome&limit   delivery reports, latest first
 */
@Controller('archive')
@UseFilters(ProblemFilter)
export class ArchiveQueryController {
  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
  ) {}

  @Get('events/:id')
  async byId(@Param('id') id: string): Promise<{ events: ArchivedEvent[] }> {
    const check = new QueryCheck({}, []);
    checkParam(check, 'id', id);
    check.done();
    const events = await this.store.byId(id);
    if (events.length === 0) throw notFound(`No archived event with id ${JSON.stringify(id)}`);
    return { events };
  }

  @Get('file-transfers/:fileTransferId/events')
  async byFileTransfer(
    @Param('fileTransferId') fileTransferId: string,
    @Query() query: RawQuery,
  ): Promise<{ events: ArchivedEvent[] }> {
    const check = new QueryCheck(query, ['limit']);
    checkParam(check, 'fileTransferId', fileTransferId);
    const limit = checkLimit(check, query['limit'], this.config.ARCHIVE_QUERY_MAX_ROWS, 100);
    check.done();
    return { events: await this.store.byFileTransferId(fileTransferId, limit) };
  }

  @Get('events')
  async byTimeRange(@Query() query: RawQuery): Promise<{ events: ArchivedEvent[] }> {
    const check = new QueryCheck(query, ['from', 'to', 'on', 'limit']);
    const from = checkTime(check, 'from', query['from'], true);
    const to = checkTime(check, 'to', query['to'], true);
    if (from && to && to.getTime() <= from.getTime()) check.add('to', 'must be after `from`');
    const on = query['on'];
    if (on !== undefined && on !== 'time' && on !== 'received') check.add('on', 'must be time or received');
    const limit = checkLimit(check, query['limit'], this.config.ARCHIVE_QUERY_MAX_ROWS, 100);
    check.done();
    return {
      events: await this.store.byTimeRange({
        from: from as Date,
        to: to as Date,
        on: on === 'received' ? 'received' : 'time',
        limit,
      }),
    };
  }

  @Get('transfers')
  async transfers(@Query() query: RawQuery): Promise<TransferPage> {
    const check = new QueryCheck(query, [
      'fileTransferId',
      'org',
      'resource',
      'type',
      'from',
      'to',
      'after',
      'limit',
    ]);
    const q: TransferQuery = { limit: READ_MODEL_DEFAULT_LIMIT };
    const text = (name: string): string | undefined => {
      const v = query[name];
      if (typeof v !== 'string') return undefined;
      return checkParam(check, name, v) ? v : undefined;
    };
    q.fileTransferId = text('fileTransferId');
    const org = text('org');
    if (org !== undefined && !/^[0-9]{9}$/.test(org))
      check.add('org', 'must be a 9-digit organisation number');
    else q.org = org;
    const resource = text('resource');
    if (resource !== undefined)
      q.resource = resource.startsWith('urn:') ? resource : `${RESOURCE_URN_PREFIX}${resource}`;
    q.type = text('type');
    q.from = checkTime(check, 'from', query['from'], false);
    q.to = checkTime(check, 'to', query['to'], false);
    if (q.from && q.to && q.to.getTime() <= q.from.getTime()) check.add('to', 'must be after `from`');
    const after = text('after');
    if (after !== undefined) {
      q.after = decodeCursor(after);
      if (q.after === undefined) check.add('after', 'is not a cursor from a previous page (`next`)');
    }
    q.limit = checkLimit(check, query['limit'], READ_MODEL_MAX_LIMIT, READ_MODEL_DEFAULT_LIMIT);
    check.done();
    return this.store.searchTransfers(q);
  }

  @Get('transfers/:fileTransferId')
  async timeline(
    @Param('fileTransferId') fileTransferId: string,
    @Query() query: RawQuery,
  ): Promise<TransferTimeline> {
    const check = new QueryCheck(query, []);
    checkParam(check, 'fileTransferId', fileTransferId);
    check.done();
    const transfer = await this.store.transfer(fileTransferId);
    if (transfer === undefined) throw notFound(`No archived transfer ${JSON.stringify(fileTransferId)}`);
    const [events, reports] = await Promise.all([
      this.store.byFileTransferId(fileTransferId, this.config.ARCHIVE_QUERY_MAX_ROWS),
      this.store.deliveriesOfTransfer(fileTransferId),
    ]);
    const byEvent = new Map<string, DeliveryReport[]>();
    for (const r of reports) {
      const key = `${r.eventSource}\n${r.eventId}`;
      byEvent.set(key, [...(byEvent.get(key) ?? []), r]);
    }
    const entries: TimelineEntry[] = events.map((e) => ({
      source: e.source,
      id: e.id,
      type: e.type,
      time: e.time,
      subject: e.subject,
      role: e.role,
      receivedAt: e.receivedAt,
      event: e.event,
      deliveries: byEvent.get(`${e.source}\n${e.id}`) ?? [],
    }));
    return { transfer, events: entries };
  }

  @Get('attention')
  async attention(@Query() query: RawQuery): Promise<AttentionReport> {
    const check = new QueryCheck(query, ['unconfirmedAfter', 'quietAfter', 'limit']);
    const unconfirmedAfter = checkSeconds(
      check,
      'unconfirmedAfter',
      query['unconfirmedAfter'],
      DEFAULT_UNCONFIRMED_AFTER_S,
    );
    const quietAfter = checkSeconds(check, 'quietAfter', query['quietAfter'], DEFAULT_QUIET_AFTER_S);
    const limit = checkLimit(check, query['limit'], READ_MODEL_MAX_LIMIT, READ_MODEL_DEFAULT_LIMIT);
    check.done();
    const now = Date.now();
    return this.store.attention({
      unconfirmedBefore: new Date(now - unconfirmedAfter * 1000),
      quietBefore: new Date(now - quietAfter * 1000),
      limit,
    });
  }

  @Get('deliveries')
  async deliveries(@Query() query: RawQuery): Promise<DeliveryReport[]> {
    const check = new QueryCheck(query, ['consumer', 'outcome', 'limit']);
    const consumer = query['consumer'];
    if (typeof consumer === 'string' && !CONSUMER_NAME_PATTERN.test(consumer))
      check.add('consumer', 'must be a consumer name (lowercase letter first, then a-z, 0-9 or -)');
    const outcome = query['outcome'];
    if (typeof outcome === 'string' && !(DELIVERY_OUTCOMES as readonly string[]).includes(outcome))
      check.add('outcome', `must be one of ${DELIVERY_OUTCOMES.join(', ')}`);
    const limit = checkLimit(check, query['limit'], READ_MODEL_MAX_LIMIT, READ_MODEL_DEFAULT_LIMIT);
    check.done();
    return this.store.deliveries({
      consumer: typeof consumer === 'string' ? consumer : undefined,
      outcome: typeof outcome === 'string' ? (outcome as DeliveryOutcome) : undefined,
      limit,
    });
  }
}

function checkParam(check: QueryCheck, name: string, value: string): boolean {
  if (value.length === 0 || value.length > MAX_PARAM) {
    check.add(name, `must be 1 to ${MAX_PARAM} characters`);
    return false;
  }
  return true;
}

function checkLimit(check: QueryCheck, raw: unknown, max: number, fallback: number): number {
  if (raw === undefined) return Math.min(fallback, max);
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    check.add('limit', `must be a whole number from 1 to ${max}`);
    return fallback;
  }
  return Number(raw);
}

function checkSeconds(check: QueryCheck, name: string, raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) {
    check.add(name, 'must be a whole number of seconds');
    return fallback;
  }
  return Number(raw);
}

function checkTime(check: QueryCheck, name: string, raw: unknown, required: boolean): Date | undefined {
  if (raw === undefined) {
    if (required) check.add(name, 'is required (an RFC 3339 time)');
    return undefined;
  }
  if (typeof raw !== 'string' || !isRfc3339(raw)) {
    check.add(name, 'must be an RFC 3339 time, e.g. 2026-11-20T09:00:00Z');
    return undefined;
  }
  return new Date(Date.parse(raw));
}
