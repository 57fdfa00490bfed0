import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type PollOutcome = 'ok' | 'altinn_error' | 'kafka_error' | 'cursor_error';

/** Every Prometheus series the poller exposes, created once per app instance. */
export class PollerMetrics {
  readonly recovered: Counter<'resource' | 'type'>;
  readonly quarantined: Counter<'resource'>;
  readonly polls: Counter<'resource' | 'outcome'>;
  readonly pages: Counter<'resource'>;
  readonly pollDuration: Histogram<'resource'>;
  readonly lastSuccess: Gauge<'resource'>;
  readonly skippedOnStart: Counter<'resource'>;
  readonly cursorMoved: Gauge<'resource'>;
  readonly stalled: Gauge<'resource'>;

  constructor(registry: Registry) {
    this.recovered = new Counter({
      name: 'poller_events_recovered_total',
      help: 'Events read from Altinn Events GET /events and published to Kafka. Webhooks may have delivered them too: consumers fold the duplicates.',
      labelNames: ['resource', 'type'],
      registers: [registry],
    });
    this.quarantined = new Counter({
      name: 'poller_events_quarantined_total',
      help: 'Polled events that failed validation, kept on the quarantine topic.',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.polls = new Counter({
      name: 'poller_polls_total',
      help: 'Polls of one resource by outcome.',
      labelNames: ['resource', 'outcome'],
      registers: [registry],
    });
    this.pages = new Counter({
      name: 'poller_pages_total',
      help: 'GET /events pages read.',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.pollDuration = new Histogram({
      name: 'poller_poll_duration_seconds',
      help: 'Time to poll one resource (all pages, publishes and cursor saves).',
      labelNames: ['resource'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.lastSuccess = new Gauge({
      name: 'poller_last_success_timestamp_seconds',
      help: 'When a poll of the resource last completed without error (alert when it gets old).',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.skippedOnStart = new Counter({
      name: 'poller_events_skipped_initial_total',
      help: 'Events passed over when a resource started with POLL_INITIAL_CURSOR=latest (history not replayed).',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.cursorMoved = new Gauge({
      name: 'poller_cursor_moved_timestamp_seconds',
      help: 'When the cursor of the resource last moved (or the poller started).',
      labelNames: ['resource'],
      registers: [registry],
    });
    this.stalled = new Gauge({
      name: 'poller_stalled',
      help: '1 while the cursor of the resource has not moved for POLL_STALL_AFTER_SECONDS, else 0. Alert on 1.',
      labelNames: ['resource'],
      registers: [registry],
    });
  }
}
