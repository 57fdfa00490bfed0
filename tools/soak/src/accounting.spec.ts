import { Ledger, countBy } from './accounting';

describe('Ledger.reconcile', () => {
  it('finds accepted events without a row (lost), events with two rows, and rows never sent', () => {
    const ledger = new Ledger();
    ledger.note('ok', 200);
    ledger.note('lost', 200);
    ledger.note('twice', 200);
    ledger.note('retried', 503);
    ledger.note('retried', 200);
    ledger.note('refused', 503);
    ledger.note('refused-but-held', 'error');
    const rows = new Map([
      ['ok', 1],
      ['twice', 2],
      ['retried', 1],
      ['refused-but-held', 1],
      ['stranger', 1],
    ]);
    const r = ledger.reconcile(rows);
    expect(r).toEqual({
      sent: 6,
      accepted: 4,
      neverAccepted: 2,
      lost: ['lost'],
      duplicated: ['twice'],
      archivedWithout2xx: 1,
      unexpected: ['stranger'],
      answers: { '200': 4, '503': 2, error: 1 },
    });
    expect(ledger.notAcceptedIds().sort()).toEqual(['refused', 'refused-but-held']);
  });

  it('a refused event archived twice is still a duplicate', () => {
    const ledger = new Ledger();
    ledger.note('a', 503);
    expect(ledger.reconcile(new Map([['a', 2]])).duplicated).toEqual(['a']);
  });
});

describe('countBy', () => {
  it('counts occurrences', () => {
    expect([...countBy(['x', 'y', 'x'])]).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
  });
});
