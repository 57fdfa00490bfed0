/**
 * What consumers report about each event they handled (delivery reports, on TOPICS.deliveries), and the shapes
 * the archive's read API answers with (transfers, one transfer's timeline, what needs attention). The archive
 * writes them; the console and anyone else read them. JSON over HTTP and Kafka: dates are RFC 3339 strings.
 */

/** What one consumer did with one event. `retry` is an attempt that failed and will be tried again. */
export type DeliveryOutcome = 'delivered' | 'skipped' | 'retry' | 'dead-lettered';

/**
 * One delivery report: the value of a record on TOPICS.deliveries, keyed by the event's file transfer id (or the
 * event id when it has none) so that one transfer's reports stay in order.
 */
export interface DeliveryReport {
  /** The consumer's name (CONSUMER_NAME): archive, email, slack, file-fetcher, or a user's own. */
  consumer: string;
  /** The event this is about: CloudEvent source + id, and its type and file transfer id for lookups. */
  eventSource: string;
  eventId: string;
  eventType: string;
  fileTransferId: string | null;
  outcome: DeliveryOutcome;
  /**
   * What was done, for people, in English and without secrets: "emailed to ops@example.no", "posted to
   * #broker", "archived", "fetched report.pdf (2.1 MB, MD5 ok) and confirmed". Null when there is nothing to say.
   */
  detail: string | null;
  /** Why it failed (retry, dead-lettered) or was skipped (filter, duplicate). */
  error: string | null;
  /** 1 for the first attempt. */
  attempt: number;
  /** Where a dead letter was parked, so it can be re-driven. */
  deadLetter: { topic: string; partition: number; offset: string } | null;
  /** When the consumer finished this attempt. */
  at: string;
}

/** Where a transfer is, derived from the events we received about it (see deriveTransferState). */
export type TransferPhase =
  | 'initialized'
  | 'uploadprocessing'
  | 'uploadfailed'
  | 'published'
  | 'allconfirmed'
  | 'neverconfirmed'
  | 'purged';

export interface TransferState {
  phase: TransferPhase;
  /** Recipients we know of (organisation numbers), and which of them confirmed the download. */
  recipients: string[];
  confirmed: string[];
  /** Recipients Broker reported as never having confirmed. */
  neverConfirmed: string[];
  /** When published, when we know. */
  publishedAt: string | null;
}

/** One row of a transfer search. */
export interface TransferSummary {
  fileTransferId: string;
  resource: string | null;
  /** Organisation numbers seen on the transfer's events (sender and recipients, as subjects). */
  organisations: string[];
  firstTime: string | null;
  lastTime: string | null;
  lastType: string;
  eventCount: number;
  state: TransferState;
}

/** GET /archive/transfers?fileTransferId&org&resource&type&from&to&after&limit */
export interface TransferPage {
  items: TransferSummary[];
  /** Opaque keyset cursor for the next page (`after=`), absent on the last page. */
  next?: string;
}

/** One event on a transfer's timeline, with every consumer's reports about it, oldest first. */
export interface TimelineEntry {
  source: string;
  id: string;
  type: string;
  time: string | null;
  subject: string | null;
  role: string | null;
  receivedAt: string;
  event: unknown;
  deliveries: DeliveryReport[];
}

/** GET /archive/transfers/:fileTransferId */
export interface TransferTimeline {
  transfer: TransferSummary;
  events: TimelineEntry[];
}

/** GET /archive/attention?unconfirmedAfter=<seconds>&quietAfter=<seconds> */
export interface AttentionReport {
  /** Published more than `unconfirmedAfter` ago and not confirmed by every recipient. */
  unconfirmed: TransferSummary[];
  /** Transfers whose last upload failed. */
  uploadFailed: TransferSummary[];
  /** Delivery reports whose latest outcome for (consumer, event) is dead-lettered. */
  deadLettered: DeliveryReport[];
  /** Resources (one subscription each) from which nothing arrived for `quietAfter`, with the last arrival. */
  quietResources: { resource: string; lastReceivedAt: string }[];
}
