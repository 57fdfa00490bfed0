import { Counter, Histogram, type Registry } from 'prom-client';

export type FetchResult = 'confirmed' | 'already_confirmed' | 'unavailable' | 'not_recipient' | 'failed';

/** Every Prometheus series the file fetcher exposes (the pipeline adds its own). */
export class FileFetcherMetrics {
  readonly files: Counter<'result' | 'trigger'>;
  readonly bytes: Counter;
  readonly downloadDuration: Histogram;
  readonly checksumMismatches: Counter;
  readonly reconcileRuns: Counter<'outcome'>;
  readonly reconcileFound: Counter<'resource'>;
  readonly noAccess: Counter<'resource' | 'right'>;
  readonly setAside: Counter<'resource'>;

  constructor(registry: Registry) {
    this.files = new Counter({
      name: 'fetcher_files_total',
      help: 'File transfers handled, by result and by what triggered it (a published event or reconciliation).',
      labelNames: ['result', 'trigger'],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'fetcher_bytes_total',
      help: 'Bytes downloaded and stored.',
      registers: [registry],
    });
    this.downloadDuration = new Histogram({
      name: 'fetcher_download_duration_seconds',
      help: 'Time to download and store one file.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.checksumMismatches = new Counter({
      name: 'fetcher_checksum_mismatches_total',
      help: 'Downloads whose MD5 did not match the checksum in the overview (the file is dropped and the fetch retried).',
      registers: [registry],
    });
    this.reconcileRuns = new Counter({
      name: 'fetcher_reconcile_runs_total',
      help: 'Reconciliation runs by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.reconcileFound = new Counter({
      name: 'fetcher_reconcile_found_total',
      help: 'Transfers reconciliation found still awaiting our download (their event never came, or its handling failed).',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.noAccess = new Counter({
      name: 'fetcher_no_access_total',
      help: 'Transfers dead-lettered because Broker refused freshly fetched tokens (401): our organisation lacks the right on the resource. Alert on any increase.',
      labelNames: ['resource', 'right'],
      registers: [registry],
    });
    this.setAside = new Counter({
      name: 'fetcher_reconcile_set_aside_total',
      help: 'Transfers reconciliation put aside after RECONCILE_SET_ASIDE_AFTER failed attempts (see GET /files/<id> for the reason).',
      labelNames: ['resource'],
      registers: [registry],
    });
  }
}
