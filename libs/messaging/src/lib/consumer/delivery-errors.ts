/**
 * The two ways a sink can fail. Sinks throw one of these from `deliver()`; anything else counts as transient.
 */

/** Worth trying again: a timeout, a 5xx, a 429 (with the sink's Retry-After), a refused connection. */
export class TransientDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientDeliveryError';
  }
}

/** Trying again cannot help: an invalid event, a 4xx other than 429, a rejected address. Goes to the DLQ. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export interface ClassifiedFailure {
  kind: 'transient' | 'permanent';
  message: string;
  retryAfterMs?: number;
}

/** Classifies whatever a sink threw. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof TransientDeliveryError) {
    return { kind: 'transient', message: error.message, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof PermanentDeliveryError) return { kind: 'permanent', message: error.message };
  if (error instanceof Error) return { kind: 'transient', message: error.message };
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return { kind: 'transient', message: String((error as { message: unknown }).message) };
  }
  return { kind: 'transient', message: String(error) };
}

/**
 * Parses an HTTP Retry-After value (delta-seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined for a missing or unreadable value.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
