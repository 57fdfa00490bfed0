import { Ledger, countBy, keepIdListsShort } from './accounting';

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

describe('keepIdListsShort (the results file)', () => {
  it('writes a long id list as its count and first 20 ids, and leaves everything else as it is', () => {
    const ids = Array.from({ length: 44_319 }, (_, i) => `id-${i}`);
    const written = JSON.parse(
      JSON.stringify(
        { lost: ids, duplicated: ['a', 'b'], rssByMinute: Array(30).fill(1), rate: 1000 },
        keepIdListsShort,
      ),
    );
    expect(written).toEqual({
      lost: { count: 44_319, first: ids.slice(0, 20) },
      duplicated: ['a', 'b'],
      rssByMinute: Array(30).fill(1),
      rate: 1000,
    });
  });
});
