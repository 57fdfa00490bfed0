import type { DeliveryReport, TransferState } from '@broker-events/contracts';
import { TEXTS } from './i18n';
import { describeDelivery, describeState, formatTime, osloLocalToIso } from './format';

const state = (s: Partial<TransferState>): TransferState => ({
  phase: 'published',
  recipients: [],
  confirmed: [],
  neverConfirmed: [],
  publishedAt: null,
  ...s,
});

describe('times', () => {
  it('shows Oslo time in winter and summer', () => {
    expect(formatTime('2026-12-01T10:41:01Z', 'nb')).toBe('01.12.2026, 11:41:01');
    expect(formatTime('2026-07-01T10:41:01Z', 'en')).toBe('01/07/2026, 12:41:01');
    expect(formatTime(null, 'en')).toBe('');
  });

  it('reads a datetime-local value as Oslo time', () => {
    expect(osloLocalToIso('2026-12-01T11:41')).toBe('2026-12-01T10:41:00.000Z');
    expect(osloLocalToIso('2026-07-01T12:00')).toBe('2026-07-01T10:00:00.000Z');
    expect(osloLocalToIso('yesterday')).toBeUndefined();
  });
});

describe('describeState', () => {
  it('says how many recipients confirmed, and who never did', () => {
    expect(describeState(state({ recipients: ['1', '2'], confirmed: ['1'] }), TEXTS.en)).toBe(
      'published, 1 of 2 recipients confirmed',
    );
    expect(
      describeState(
        state({ phase: 'neverconfirmed', recipients: ['312000008'], neverConfirmed: ['312000008'] }),
        TEXTS.en,
      ),
    ).toBe('never confirmed: recipient 312000008');
    expect(describeState(state({ phase: 'uploadfailed' }), TEXTS.nb)).toBe('opplastingen feilet');
  });
});

describe('describeDelivery', () => {
  const report: DeliveryReport = {
    consumer: 'email',
    eventSource: 's',
    eventId: 'e',
    eventType: 'no.altinn.broker.published',
    fileTransferId: 'f',
    outcome: 'delivered',
    detail: 'emailed to ops@example.no',
    error: null,
    attempt: 1,
    deadLetter: null,
    at: '2026-12-01T10:00:00Z',
  };
  it('names the consumer, what it did, and why it failed', () => {
    expect(describeDelivery(report, TEXTS.en)).toBe('email: done — emailed to ops@example.no');
    expect(
      describeDelivery(
        { ...report, outcome: 'dead-lettered', detail: null, error: '550 no such user', attempt: 3 },
        TEXTS.en,
      ),
    ).toBe('email: failed, dead-lettered (attempt 3) because 550 no such user');
  });
});
