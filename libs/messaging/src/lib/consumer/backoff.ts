/** Retry timing for the pipeline: in-place attempts with exponential backoff and jitter, then retry-topic rounds. */
export interface RetryPolicy {
  /** Handler calls per round (the first call included), each after a backoff; ≥ 1. */
  inPlaceAttempts: number;
  /** Backoff before the second call of a round; doubles per call. */
  initialBackoffMs: number;
  /** Largest in-place backoff. A sink's Retry-After longer than this sends the event to the retry topic. */
  maxBackoffMs: number;
  /**
   * Delay before each retry-topic round, one entry per round. After the last round the event is dead-lettered.
   * Empty: no retry topic, failures go to the DLQ after the in-place attempts.
   */
  retryTopicDelaysMs: number[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  inPlaceAttempts: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  retryTopicDelaysMs: [30_000, 300_000, 1_800_000],
};

/**
 * "Full jitter" backoff (AWS architecture blog): a random wait between half and all of the exponential step,
 * never shorter than the sink's Retry-After. `attempt` is the 1-based number of the call that just failed.
 */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const step = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(step / 2 + random() * (step / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Sleeps, but wakes early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
