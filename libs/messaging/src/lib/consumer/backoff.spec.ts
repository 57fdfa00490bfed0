import { DEFAULT_RETRY_POLICY, backoffMs, sleep } from './backoff';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  classifyFailure,
  parseRetryAfter,
} from './delivery-errors';

describe('backoffMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1000 };

  it('doubles per attempt with jitter between half and all of the step, capped', () => {
    expect(backoffMs(policy, 1, undefined, () => 0)).toBe(50);
    expect(backoffMs(policy, 1, undefined, () => 1)).toBe(100);
    expect(backoffMs(policy, 3, undefined, () => 0)).toBe(200);
    expect(backoffMs(policy, 3, undefined, () => 1)).toBe(400);
    expect(backoffMs(policy, 10, undefined, () => 1)).toBe(1000);
  });

  it('never waits less than the sink asked for', () => {
    expect(backoffMs(policy, 1, 5000, () => 0)).toBe(5000);
  });
});

describe('sleep', () => {
  it('ends early, returning false, when aborted', async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    expect(await slept).toBe(false);
    expect(await sleep(1)).toBe(true);
  });
});

describe('classifyFailure', () => {
  it("reads the sink's classification, and counts anything else as transient", () => {
    const transient = new TransientDeliveryError('429', 2000);
    expect(classifyFailure(transient)).toEqual({ kind: 'transient', message: '429', retryAfterMs: 2000 });
    expect(classifyFailure(new PermanentDeliveryError('400'))).toEqual({ kind: 'permanent', message: '400' });
    expect(classifyFailure(new Error('ECONNRESET'))).toEqual({ kind: 'transient', message: 'ECONNRESET' });
    expect(classifyFailure({ status: 'error', message: 'Internal server error' }).kind).toBe('transient');
    expect(classifyFailure('boom')).toEqual({ kind: 'transient', message: 'boom' });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
