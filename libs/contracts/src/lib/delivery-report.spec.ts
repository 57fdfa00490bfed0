import { DeliveryReport } from './read-model';
import { parseDeliveryReport } from './delivery-report';

const valid: DeliveryReport = {
  consumer: 'email',
  eventSource: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
  eventId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  eventType: 'no.altinn.broker.published',
  fileTransferId: 'da4ceacc-ad44-4e54-99b6-b58e3c13c785',
  outcome: 'dead-lettered',
  detail: null,
  error: 'SMTP 550 mailbox unavailable',
  attempt: 3,
  deadLetter: { topic: 'altinn.broker.dlq.v1.email', partition: 1, offset: '42' },
  at: '2026-11-20T09:00:13.100Z',
};

describe('parseDeliveryReport', () => {
  it('accepts a report and returns a copy', () => {
    const result = parseDeliveryReport(JSON.parse(JSON.stringify(valid)));
    expect(result).toEqual({ ok: true, report: valid });
    expect(
      parseDeliveryReport({ ...valid, fileTransferId: null, deadLetter: null, error: null }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('names every violation', () => {
    const result = parseDeliveryReport({
      ...valid,
      consumer: 'Email',
      outcome: 'lost',
      attempt: 0,
      at: 'yesterday',
      deadLetter: { topic: 'x', partition: -1, offset: '1' },
      extra: true,
      eventId: undefined,
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.violations.map((v) => v.path).sort();
    expect(paths).toEqual(['at', 'attempt', 'consumer', 'deadLetter', 'eventId', 'extra', 'outcome']);
  });

  it.each([null, [], 'report', 42])('refuses %j', (input) => {
    expect(parseDeliveryReport(input)).toEqual({
      ok: false,
      violations: [{ path: '', reason: expect.stringMatching(/must be a JSON object/) }],
    });
  });
});
