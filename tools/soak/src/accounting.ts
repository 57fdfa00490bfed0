/**
 * Loss and duplicate accounting, shared by the soak script and the fault tests: every event sent is noted
 * with every answer the gateway gave it; at the end the archive's row count per id is held against it.
 */
export type Answer = number | 'error';

export interface Reconciliation {
  /** Distinct events sent. */
  sent: number;
  /** Events the gateway answered 2xx at least once (Kafka acknowledged them). */
  accepted: number;
  /** Events never answered 2xx. */
  neverAccepted: number;
  /** Accepted events with no archive row: lost. Must be empty. */
  lost: string[];
  /** Events with more than one archive row. Must be empty. */
  duplicated: string[];
  /** Events never answered 2xx that are archived anyway (allowed: Kafka held it, the answer was lost). */
  archivedWithout2xx: number;
  /** Archive rows whose id this run never sent (another writer, or a bug). */
  unexpected: string[];
  /** Answers by status (`error` = no answer: connection refused, reset, timeout). */
  answers: Record<string, number>;
}

export class Ledger {
  private readonly answers = new Map<string, Answer[]>();

  /** Notes an answer for an event (call once per attempt; a retried event gets several). */
  note(id: string, answer: Answer): void {
    const list = this.answers.get(id);
    if (list) list.push(answer);
    else this.answers.set(id, [answer]);
  }

  isAccepted(id: string): boolean {
    return (this.answers.get(id) ?? []).some(is2xx);
  }

  ids(): string[] {
    return [...this.answers.keys()];
  }

  acceptedIds(): string[] {
    return this.ids().filter((id) => this.isAccepted(id));
  }

  notAcceptedIds(): string[] {
    return this.ids().filter((id) => !this.isAccepted(id));
  }

  /** A ledger of only the events in `ids`, with every answer they got. */
  only(ids: ReadonlySet<string>): Ledger {
    const out = new Ledger();
    for (const [id, list] of this.answers) if (ids.has(id)) for (const a of list) out.note(id, a);
    return out;
  }

  /** Holds the archive's rows per id (`archived`: id → number of rows) against what was sent. */
  reconcile(archived: ReadonlyMap<string, number>): Reconciliation {
    const answers: Record<string, number> = {};
    const lost: string[] = [];
    const duplicated: string[] = [];
    let accepted = 0;
    let archivedWithout2xx = 0;
    for (const [id, list] of this.answers) {
      for (const a of list) answers[String(a)] = (answers[String(a)] ?? 0) + 1;
      const rows = archived.get(id) ?? 0;
      if (rows > 1) duplicated.push(id);
      if (list.some(is2xx)) {
        accepted++;
        if (rows === 0) lost.push(id);
      } else if (rows > 0) archivedWithout2xx++;
    }
    const unexpected = [...archived.keys()].filter((id) => !this.answers.has(id));
    return {
      sent: this.answers.size,
      accepted,
      neverAccepted: this.answers.size - accepted,
      lost,
      duplicated,
      archivedWithout2xx,
      unexpected,
      answers,
    };
  }
}

export function is2xx(a: Answer): boolean {
  return typeof a === 'number' && a >= 200 && a < 300;
}

/** Counts how often each value occurs (e.g. event ids found in mails or Slack posts). */
export function countBy(values: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/**
 * The results file keeps the count and the first 20 ids of each id list (lost, duplicated, never mailed, …):
 * a failed run lists tens of thousands, which belong in the run's log, not in a committed file.
 */
export function keepIdListsShort(_key: string, value: unknown): unknown {
  if (!Array.isArray(value) || value.length <= 20 || !value.every((v) => typeof v === 'string')) return value;
  return { count: value.length, first: value.slice(0, 20) };
}
