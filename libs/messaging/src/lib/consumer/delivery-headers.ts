import { HEADERS, type KafkaHeadersIn } from '@broker-events/contracts';

/** Every header the pipeline adds; stripped before a record is re-driven to its original topic. */
export const DELIVERY_HEADER_NAMES: readonly string[] = [
  HEADERS.deliveryConsumer,
  HEADERS.deliveryAttempt,
  HEADERS.deliveryNotBefore,
  HEADERS.deliveryError,
  HEADERS.deliveryFirstFailedAt,
  HEADERS.deliveryOriginalTopic,
  HEADERS.deliveryOriginalPartition,
  HEADERS.deliveryOriginalOffset,
  HEADERS.deliveryRound,
  HEADERS.deliveryLastFailedAt,
  HEADERS.deliveryFailure,
];

/** Kafka headers as strings (UTF-8); a repeated header keeps its first value. */
export function headersToStrings(headers: KafkaHeadersIn | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || raw === null) continue;
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    out[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return out;
}

/** Where a record really came from: the original coordinates carried in headers, else its own. */
export interface DeliveryHistory {
  attempts: number;
  rounds: number;
  firstFailedAt?: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
}

export function historyOf(
  headers: Record<string, string>,
  here: { topic: string; partition: number; offset: string },
  fromRetryTopic: boolean,
): DeliveryHistory {
  if (!fromRetryTopic) {
    return {
      attempts: 0,
      rounds: 0,
      originalTopic: here.topic,
      originalPartition: here.partition,
      originalOffset: here.offset,
    };
  }
  const int = (v: string | undefined, d: number): number =>
    v !== undefined && /^\d+$/.test(v) ? Number(v) : d;
  return {
    attempts: int(headers[HEADERS.deliveryAttempt], 0),
    rounds: int(headers[HEADERS.deliveryRound], 0),
    firstFailedAt: headers[HEADERS.deliveryFirstFailedAt],
    originalTopic: headers[HEADERS.deliveryOriginalTopic] ?? here.topic,
    originalPartition: int(headers[HEADERS.deliveryOriginalPartition], here.partition),
    originalOffset: headers[HEADERS.deliveryOriginalOffset] ?? here.offset,
  };
}

/** Error text for a header: one line, at most 1000 characters. */
export function errorHeader(message: string): string {
  const line = message.replace(/[\r\n]+/g, ' ').trim();
  return line.length > 1000 ? `${line.slice(0, 999)}…` : line;
}
