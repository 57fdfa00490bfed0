import type { DeadLetterRow } from '../dead-letters/dead-letters.service';
import { deadLettersPage } from './dead-letters-page';
import { TEXTS } from './i18n';
import type { PageContext } from './layout';

const row = (offset: number): DeadLetterRow => ({
  partition: 0,
  offset: String(offset),
  timestamp: '2026-12-01T10:00:00.000Z',
  key: `ft-${offset}`,
  error: 'SMTP 550',
  failure: 'permanent',
  attempts: 1,
  lastFailedAt: '2026-12-01T10:00:00.000Z',
  eventType: 'no.altinn.broker.published',
  eventId: `e-${offset}`,
  fileTransferId: `ft-${offset}`,
  body: '{}',
  redriven: null,
});

const ctx = (lang: 'en' | 'nb'): PageContext => ({
  lang,
  t: TEXTS[lang],
  user: { id: 'ops', name: 'Ops', role: 'viewer' },
  csrf: 'x',
  path: '/dead-letters',
});

describe('the dead letters page', () => {
  it('says when only the newest of a larger dead-letter topic are listed', () => {
    const rows = [row(9), row(8)];
    const partial = String(
      deadLettersPage(ctx('en'), [{ consumer: 'email', rows, total: 120 }], { showRedriven: false }),
    );
    expect(partial).toContain('The newest 2 of 120 dead letters are listed.');
    expect(
      String(deadLettersPage(ctx('nb'), [{ consumer: 'email', rows, total: 120 }], { showRedriven: false })),
    ).toContain('De nyeste 2 av 120 døde meldinger vises.');
    const whole = String(
      deadLettersPage(ctx('en'), [{ consumer: 'email', rows, total: 2 }], { showRedriven: false }),
    );
    expect(whole).toContain('ft-9');
    expect(whole).not.toContain('The newest');
  });
});
