import { HEADERS } from '@broker-events/contracts';
import type { DeadLetter } from '@broker-events/messaging';
import type { AuditEntry } from '../audit/audit.store';
import { parseRefs, toRow } from './dead-letters.service';

describe('dead-letter rows', () => {
  const letter: DeadLetter = {
    topic: 'altinn.broker.dlq.v1.email',
    partition: 2,
    offset: '17',
    timestamp: String(Date.parse('2026-12-01T10:00:00Z')),
    key: 'ft-1',
    value: Buffer.from('{}'),
    headers: {
      [HEADERS.type]: 'no.altinn.broker.uploadfailed',
      [HEADERS.id]: 'e-1',
      [HEADERS.resourceinstance]: 'ft-1',
    },
    error: 'SMTP 550',
    failure: 'permanent',
    attempts: 1,
    redriveCount: 0,
  };

  it('takes the event from the ce_* headers and marks what the audit log says was re-driven', () => {
    expect(toRow(letter, new Map())).toMatchObject({
      eventType: 'no.altinn.broker.uploadfailed',
      eventId: 'e-1',
      fileTransferId: 'ft-1',
      timestamp: '2026-12-01T10:00:00.000Z',
      redriven: null,
    });
    const entry = { actorName: 'Ola', at: '2026-12-01T11:00:00.000Z' } as AuditEntry;
    expect(toRow(letter, new Map([['2:17', entry]])).redriven).toEqual({ actor: 'Ola', at: entry.at });
  });

  it('parses partition:offset references, and nothing malformed', () => {
    expect(parseRefs(['0:1', '12:345'])).toEqual([
      { partition: 0, offset: '1' },
      { partition: 12, offset: '345' },
    ]);
    expect(parseRefs(['0:1', '1:x'])).toBeUndefined();
    expect(parseRefs(['-1:1'])).toBeUndefined();
  });
});
