import { Batcher, PermanentDeliveryError, TransientDeliveryError } from '@broker-events/messaging';
import type { ArchiveRow, ArchiveStore } from './store/archive-store';

/**
 * Turns the pipeline's concurrent deliveries into batched, idempotent inserts. If a whole batch fails on bad
 * data, it retries row by row so that one bad row fails alone (permanently) and the rest are archived.
 */
/** What became of a row: newly inserted, or its (source, id) was already in the archive. */
export type WriteResult = 'archived' | 'already archived';

export class ArchiveWriter {
  private readonly batcher: Batcher<ArchiveRow>;
  /** Filled by the flush that carried the row (a whole batch of duplicates is `already archived`). */
  private readonly results = new WeakMap<ArchiveRow, WriteResult>();

  constructor(
    private readonly store: ArchiveStore,
    options: { maxRows: number; lingerMs: number; maxInFlight?: number },
  ) {
    this.batcher = new Batcher<ArchiveRow>((rows) => this.flush(rows), {
      maxItems: options.maxRows,
      lingerMs: options.lingerMs,
      maxInFlight: options.maxInFlight ?? 2,
    });
  }

  /**
   * Resolves once the row is in the archive: `already archived` when its batch inserted nothing (every row a
   * redelivery) or it was inserted alone as a duplicate; otherwise `archived`.
   */
  async write(row: ArchiveRow): Promise<WriteResult> {
    await this.batcher.add(row);
    return this.results.get(row) ?? 'archived';
  }

  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private async flush(rows: ArchiveRow[]): Promise<(unknown | undefined)[] | void> {
    try {
      const inserted = await this.store.insertBatch(rows);
      if (inserted === 0) for (const row of rows) this.results.set(row, 'already archived');
      return;
    } catch (error) {
      if (!isDataError(error) || rows.length === 1) throw classify(error);
    }
    const errors: (unknown | undefined)[] = [];
    for (const row of rows) {
      try {
        if ((await this.store.insertBatch([row])) === 0) this.results.set(row, 'already archived');
        errors.push(undefined);
      } catch (error) {
        errors.push(classify(error));
      }
    }
    return errors;
  }
}

/** PostgreSQL SQLSTATE classes 22 (data exception) and 23 (integrity), and SQLite constraint errors. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (/^2[23]/.test(code) || code.startsWith('SQLITE_CONSTRAINT'));
}

function classify(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return isDataError(error)
    ? new PermanentDeliveryError(`archive rejected the row: ${message}`)
    : new TransientDeliveryError(`archive write failed: ${message}`);
}
