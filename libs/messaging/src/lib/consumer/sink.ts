import type { AltinnCloudEvent } from '@broker-events/contracts';

/** What a sink may want to know about the record it is delivering. */
export interface PipelineMessageInfo {
  /** The consumer name (the group id is `<consumer>-server`). */
  consumer: string;
  /** Topic, partition and offset the record was read from now (a retry topic on a retry). */
  topic: string;
  partition: number;
  offset: string;
  /** Where the event was first read from (equal to the above unless this is a retry). */
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  /** Record headers as UTF-8 strings. */
  headers: Readonly<Record<string, string>>;
  /** The record's Kafka timestamp (ms since epoch, as a string). */
  timestamp: string;
  /** When this process read the record. */
  receivedAt: Date;
  /** 1-based number of this sink call for this event, across in-place retries and retry-topic rounds. */
  attempt: number;
  /** The canonical event type (lowercase for Broker types). */
  canonicalType: string;
}

/**
 * What a sink did with an event, for its delivery report (TOPICS.deliveries): `detail` is one short English
 * sentence for people, e.g. "emailed to ops@example.no" or "posted to #broker". Never secrets, tokens, URLs
 * with credentials or message bodies: reports are read by operators in the console and kept in the archive.
 */
export interface DeliveryResult {
  detail?: string;
}

/**
 * The one thing a consumer app provides (one folder per sink in its app, `<name>.sink.ts`); the pipeline does
 * the rest: filter, validate, de-duplicate, retry, dead-letter, commit.
 *
 * `deliver` resolves when the sink accepted the event (optionally with a DeliveryResult saying what it did; the
 * pipeline puts it in the delivery report) and throws TransientDeliveryError (optionally with the
 * sink's Retry-After) or PermanentDeliveryError otherwise; any other error counts as transient. The pipeline
 * calls it for several records at once (CONSUMER_CONCURRENCY, never two of one file transfer at a time), so a
 * sink that writes in batches coalesces concurrent calls (see Batcher and apps/archive) and settles each
 * call with its own event's outcome.
 */
export interface Sink {
  deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void | DeliveryResult>;
}
