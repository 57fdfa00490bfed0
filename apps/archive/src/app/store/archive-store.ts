import {
  type AltinnCloudEvent,
  type AttentionReport,
  type DeliveryReport,
  type TransferPage,
  type TransferSummary,
  eventRole,
} from '@broker-events/contracts';
import type { AttentionQuery, DeliveryQuery, SummaryLag, TransferQuery } from './read-model';

/** One archived event: a column per CloudEvent attribute, the full JSON, the Kafka coordinates, the time received. */
export interface ArchiveRow {
  source: string;
  id: string;
  specversion: string;
  /** Canonical type (lowercase for Broker types). */
  type: string;
  /** The type as received, when it differs from `type`. */
  originalType: string | null;
  time: string | null;
  subject: string | null;
  datacontenttype: string | null;
  dataschema: string | null;
  resource: string | null;
  resourceinstance: string | null;
  alternativesubject: string | null;
  /** data.Role (Sender | Recipient) when present. */
  role: string | null;
  /** The whole event as structured-mode CloudEvents JSON. */
  event: string;
  kafkaTopic: string;
  kafkaPartition: number;
  kafkaOffset: string;
  receivedAt: Date;
}

/** What the read API returns. */
export interface ArchivedEvent {
  source: string;
  id: string;
  type: string;
  time: string | null;
  subject: string | null;
  resource: string | null;
  resourceinstance: string | null;
  role: string | null;
  event: unknown;
  kafka: { topic: string; partition: number; offset: string };
  receivedAt: string;
}

export interface RetentionStep {
  transfers: number;
  events: number;
  deliveries: number;
}

export interface TimeRangeQuery {
  from: Date;
  to: Date;
  /** Which time: the event's `time` attribute or when the archive received it. */
  on: 'time' | 'received';
  limit: number;
}

export interface ArchiveStore {
  readonly kind: 'postgres' | 'sqlite';
  /** Applies pending migrations; returns the versions applied now. */
  migrate(): Promise<number[]>;
  /**
   * Inserts, ignoring rows whose (source, id) is already archived, and marks the transfers of the new rows dirty
   * (`transfers_dirty`), in one transaction; returns how many rows were new. Summaries follow via summarizeDirty.
   */
  insertBatch(rows: ArchiveRow[]): Promise<number>;
  /**
   * Claims up to `max` dirty transfers and rewrites their summaries from their events in one transaction; an
   * event committed meanwhile leaves its transfer dirty again. Returns how many it claimed.
   */
  summarizeDirty(max: number): Promise<number>;
  /** Dirty transfers and the age of the oldest mark: how far search and attention are behind ingest. */
  summaryLag(): Promise<SummaryLag>;
  /** Stores delivery reports; a report seen again (same consumer, event, attempt) replaces the older one. */
  upsertDeliveries(reports: DeliveryReport[]): Promise<number>;
  /** Transfers, newest last event first, keyset-paged. */
  searchTransfers(query: TransferQuery): Promise<TransferPage>;
  transfer(fileTransferId: string): Promise<TransferSummary | undefined>;
  /** Delivery reports about a transfer's events, oldest first. */
  deliveriesOfTransfer(fileTransferId: string): Promise<DeliveryReport[]>;
  attention(query: AttentionQuery): Promise<AttentionReport>;
  /** Delivery reports, latest first. */
  deliveries(query: DeliveryQuery): Promise<DeliveryReport[]>;
  byId(id: string): Promise<ArchivedEvent[]>;
  byFileTransferId(fileTransferId: string, limit: number): Promise<ArchivedEvent[]>;
  byTimeRange(query: TimeRangeQuery): Promise<ArchivedEvent[]>;
  /**
   * One bounded retention step: deletes up to `max` transfers whose last event arrived before `before` (their
   * events, summary, organisation rows and delivery reports), then up to `max` events without a transfer and up
   * to `max` delivery reports without one that are older. Returns what it deleted; all zero when done.
   */
  deleteExpired(before: Date, max: number): Promise<RetentionStep>;
  count(): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function toArchiveRow(
  event: AltinnCloudEvent,
  canonicalType: string,
  kafka: { topic: string; partition: number; offset: string },
  receivedAt: Date,
): ArchiveRow {
  return {
    source: event.source,
    id: event.id,
    specversion: event.specversion,
    type: canonicalType,
    originalType: event.type !== canonicalType ? event.type : null,
    time: event.time ?? null,
    subject: event.subject ?? null,
    datacontenttype: event.datacontenttype ?? null,
    dataschema: event.dataschema ?? null,
    resource: event.resource ?? null,
    resourceinstance: event.resourceinstance ?? null,
    alternativesubject: event.alternativesubject ?? null,
    role: eventRole(event) ?? null,
    event: JSON.stringify(event),
    kafkaTopic: kafka.topic,
    kafkaPartition: kafka.partition,
    kafkaOffset: kafka.offset,
    receivedAt,
  };
}

/** Column order shared by both stores and their migrations. */
export const COLUMNS = [
  'source',
  'id',
  'specversion',
  'type',
  'original_type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'resource',
  'resourceinstance',
  'alternativesubject',
  'role',
  'event',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'received_at',
] as const;
