import type { ProducerObserver } from '@broker-events/messaging';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type RequestOutcome =
  | 'published'
  | 'duplicate'
  | 'handshake'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden_source'
  | 'unsupported_media_type'
  | 'too_large'
  | 'kafka_unavailable'
  | 'shutting_down';

/** Every Prometheus series the gateway exposes, created once per app instance. */
export class GatewayMetrics {
  readonly requests: Counter<'outcome' | 'type'>;
  readonly events: Counter<'outcome' | 'type'>;
  readonly publishDuration: Histogram;
  readonly produceBatch: Histogram;
  readonly inFlight: Gauge;
  readonly duplicates: Counter;
  readonly quarantined: Counter;
  readonly quarantineRepeats: Counter;
  readonly sourceRefused: Counter<'address_kind'>;
  readonly handshakes: Counter;
  readonly producerResets: Counter;
  readonly dedupPending: Counter<'outcome'>;
  readonly dedupUnavailable: Counter<'operation'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Webhook requests by outcome and (for single events) canonical event type.',
      labelNames: ['outcome', 'type'],
      registers: [registry],
    });
    this.events = new Counter({
      name: 'gateway_events_total',
      help: 'Events by outcome and canonical event type (a batch counts each event).',
      labelNames: ['outcome', 'type'],
      registers: [registry],
    });
    this.publishDuration = new Histogram({
      name: 'gateway_publish_duration_seconds',
      help: 'Time from a request being ready to publish until Kafka acknowledged it (acks=all).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.produceBatch = new Histogram({
      name: 'gateway_produce_batch_records',
      help: 'Records per coalesced produce request.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'gateway_requests_in_flight',
      help: 'Webhook requests being handled.',
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'gateway_duplicates_total',
      help: 'Events answered 2xx without a second publish because (source, id) was inside the duplicate window.',
      registers: [registry],
    });
    this.quarantined = new Counter({
      name: 'gateway_quarantined_total',
      help: 'Rejected request bodies kept on the quarantine topic.',
      registers: [registry],
    });
    this.quarantineRepeats = new Counter({
      name: 'gateway_quarantine_repeats_total',
      help: 'Invalid bodies answered 400 again without a second quarantine copy: the same bytes inside the duplicate window (Altinn retries every non-2xx answer about 12 times).',
      registers: [registry],
    });
    this.sourceRefused = new Counter({
      name: 'gateway_source_refused_total',
      help: 'Webhook requests refused by ALLOWED_SOURCE_CIDRS, by the kind of address seen: internal (private, CGNAT, loopback: most likely a load balancer or ingress, see TRUSTED_PROXY_HOPS) or public.',
      labelNames: ['address_kind'],
      registers: [registry],
    });
    this.handshakes = new Counter({
      name: 'gateway_handshakes_total',
      help: 'platform.events.validatesubscription handshakes answered.',
      registers: [registry],
    });
    this.producerResets = new Counter({
      name: 'gateway_producer_resets_total',
      help: 'Kafka producers replaced after a failed produce request.',
      registers: [registry],
    });
    this.dedupPending = new Counter({
      name: 'gateway_dedup_pending_total',
      help: 'Events that found another replica publishing them (a shared-window claim), by how the wait ended: duplicate (it reached Kafka), published (the claim was given back and this replica published), timeout (503).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.dedupUnavailable = new Counter({
      name: 'gateway_dedup_unavailable_total',
      help: 'Duplicate-window operations (claim, published, release) that failed and were passed over: the event was published without the window (fail open).',
      labelNames: ['operation'],
      registers: [registry],
    });
  }

  /** The producer's series: publish latency, records per produce request, producers replaced. */
  producerObserver(): ProducerObserver {
    return {
      published: (seconds) => this.publishDuration.observe(seconds),
      batch: (records, _seconds, ok) => {
        if (ok) this.produceBatch.observe(records);
      },
      reset: () => this.producerResets.inc(),
    };
  }
}
