/** Identifies one CloudEvent: `source` + `id` is unique by the CloudEvents spec. */
export interface EventKey {
  source: string;
  id: string;
}

/**
 * Remembers which events a consumer has delivered, so a redelivered event (a rebalance, a restart before the
 * commit, a re-driven DLQ record that did get through) sends nothing twice. The pipeline asks `seen` before it
 * calls the handler and calls `remember` only after the handler succeeded.
 */
export interface IdempotencyStore {
  /** Creates tables if needed. */
  init(): Promise<void>;
  seen(consumer: string, key: EventKey): Promise<boolean>;
  remember(consumer: string, key: EventKey): Promise<void>;
  /** Deletes entries older than `olderThan`; returns how many. */
  prune(olderThan: Date): Promise<number>;
  /** For readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
