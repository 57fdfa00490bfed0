import type { PipelineMetrics } from './pipeline-metrics';

/** The subset of a pino logger the pipeline uses. */
export interface PipelineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const SILENT_LOGGER: PipelineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** What one record ended as; `interrupted` (shutdown or rebalance) leaves its offset for the next reader. */
export type Outcome = 'delivered' | 'skipped' | 'duplicate' | 'retry' | 'dead-lettered' | 'interrupted';

/** The record a hook is about, as logged. */
export interface RecordRef {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  eventId?: string;
  type?: string;
}

/**
 * The named steps of the dispatcher, one hook each: every outcome is logged and counted here and nowhere
 * else (Knative's dispatcher reports each step the same way).
 */
export interface DispatchHooks {
  received(r: RecordRef): void;
  skipped(r: RecordRef, reason: 'filter' | 'duplicate'): void;
  delivered(r: RecordRef, attempt: number): void;
  /** Delivered, but the idempotency store did not take it (a redelivery would deliver it again). */
  notRemembered(r: RecordRef, error: unknown): void;
  retryingInPlace(r: RecordRef, attempt: number, error: string, waitMs: number): void;
  parkedForRetry(r: RecordRef, attempt: number, round: number, error: string): void;
  deadLettered(
    r: RecordRef,
    reason: 'invalid' | 'permanent' | 'exhausted',
    attempt: number,
    error: string,
    violations?: unknown[],
  ): void;
  parkFailed(r: RecordRef, topic: string, error: unknown): void;
  /** A delivery report could not be written (the record's outcome stands; it is not delivered again). */
  reportFailed(r: RecordRef, outcome: string, error: unknown): void;
  /** The final outcome (not called for `interrupted`), with the time since the record was read. */
  finished(r: RecordRef, outcome: Exclude<Outcome, 'interrupted'>, seconds: number): void;
}

/** The pipeline's own hooks: Prometheus metrics (pipeline_*) and log lines. */
export function observingHooks(m: PipelineMetrics | undefined, log: PipelineLogger): DispatchHooks {
  return {
    received: (r) => m?.received.inc({ consumer: r.consumer, topic: r.topic }),
    skipped: (r, reason) => {
      m?.skipped.inc({ consumer: r.consumer, reason });
      log.debug(r, reason === 'filter' ? 'skipped by filter' : 'skipped: already delivered');
    },
    delivered: (r, attempt) => {
      m?.delivered.inc({ consumer: r.consumer });
      log.debug({ ...r, attempt }, 'delivered');
    },
    notRemembered: (r, err) =>
      log.warn({ ...r, err }, 'delivered, but could not record it in the idempotency store'),
    retryingInPlace: (r, attempt, error, waitMs) => {
      m?.retried.inc({ consumer: r.consumer, stage: 'in_place' });
      log.info({ ...r, attempt, error, waitMs }, 'transient failure: retrying in place');
    },
    parkedForRetry: (r, attempt, round, error) => {
      m?.retried.inc({ consumer: r.consumer, stage: 'retry_topic' });
      log.warn({ ...r, attempt, round, error }, 'transient failure: parked in the retry topic');
    },
    deadLettered: (r, reason, attempt, error, violations) => {
      m?.deadLettered.inc({ consumer: r.consumer, reason });
      if (reason === 'invalid') log.warn({ ...r, violations }, 'invalid event dead-lettered');
      else if (reason === 'permanent') log.warn({ ...r, attempt, error }, 'permanent failure: dead-lettered');
      else log.warn({ ...r, attempt, error }, 'retries exhausted: dead-lettered');
    },
    parkFailed: (r, topic, err) => {
      m?.parkFailures.inc({ consumer: r.consumer });
      log.error({ err, topic, offset: r.offset }, 'could not write to the retry/dead-letter topic');
    },
    reportFailed: (r, outcome, err) => {
      m?.reportFailures.inc({ consumer: r.consumer });
      log.warn({ err, eventId: r.eventId, outcome }, 'could not publish the delivery report');
    },
    finished: (r, outcome, seconds) => m?.deliveryLatency.observe({ consumer: r.consumer, outcome }, seconds),
  };
}
