import { HEADERS, type KafkaRecord } from '@broker-events/contracts';
import type { RetryPolicy } from './backoff';
import type { ClassifiedFailure } from './delivery-errors';
import { DELIVERY_HEADER_NAMES, type DeliveryHistory, errorHeader } from './delivery-headers';

/** Why a record is parked: `transient` goes to the retry topic while rounds are left, the rest to the DLQ. */
export type ParkKind = 'transient' | 'permanent' | 'invalid';

export interface ParkRequest {
  consumer: string;
  /** Where to: the consumer's retry topic (with a due time) or its dead-letter topic. */
  to: 'retry' | 'dlq';
  topic: string;
  /** The record as read: key, value and its headers as strings. */
  key: Buffer | null;
  value: Buffer | null;
  headers: Readonly<Record<string, string>>;
  history: DeliveryHistory;
  failure: ClassifiedFailure;
  /** Sink calls so far for this event (all rounds). */
  attempts: number;
  kind: ParkKind;
  policy: RetryPolicy;
  now: Date;
}

/**
 * The record written to a retry or dead-letter topic: the original key, value and headers (minus our delivery
 * headers from an earlier round), plus the delivery headers that say what happened (contracts' HEADERS).
 * Pure: the same request gives the same record.
 */
export function parkedRecord(r: ParkRequest): KafkaRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers))
    if (!DELIVERY_HEADER_NAMES.includes(name)) headers[name] = value;
  headers[HEADERS.deliveryConsumer] = r.consumer;
  headers[HEADERS.deliveryAttempt] = String(r.attempts);
  headers[HEADERS.deliveryError] = errorHeader(r.failure.message);
  headers[HEADERS.deliveryFirstFailedAt] = r.history.firstFailedAt ?? r.now.toISOString();
  headers[HEADERS.deliveryOriginalTopic] = r.history.originalTopic;
  headers[HEADERS.deliveryOriginalPartition] = String(r.history.originalPartition);
  headers[HEADERS.deliveryOriginalOffset] = r.history.originalOffset;
  headers[HEADERS.deliveryLastFailedAt] = r.now.toISOString();
  headers[HEADERS.deliveryFailure] = r.kind;
  if (r.to === 'retry') {
    const delay = Math.max(r.policy.retryTopicDelaysMs[r.history.rounds] ?? 0, r.failure.retryAfterMs ?? 0);
    headers[HEADERS.deliveryNotBefore] = new Date(r.now.getTime() + delay).toISOString();
    headers[HEADERS.deliveryRound] = String(r.history.rounds + 1);
  } else {
    headers[HEADERS.deliveryRound] = String(r.history.rounds);
  }
  return {
    topic: r.topic,
    key: r.key ? r.key.toString('utf8') : '',
    value: r.value ?? Buffer.alloc(0),
    headers,
  };
}
