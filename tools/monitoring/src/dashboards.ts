/**
 * The Grafana dashboards, one per concern, defined once as data: `npm run monitoring` writes them to
 * k8s/monitoring/dashboards/*.json, and the specs check every query against the metrics the apps declare
 * and against a real Prometheus scraping the local stack.
 */

/** The apps whose metrics a panel reads (the live spec runs gateway, archive and email). */
export type Source = 'gateway' | 'consumers' | 'email' | 'poller' | 'file-fetcher' | 'process';

export interface Panel {
  title: string;
  /** What the panel answers, shown as its description in Grafana. */
  description: string;
  /** PromQL, one series per legend entry. */
  targets: { expr: string; legend: string }[];
  unit: 'reqps' | 'ops' | 's' | 'short' | 'bytes' | 'percentunit' | 'Bps';
  source: Source;
  /** True when a demo run (`npm run demo`) leaves this panel with data; false for failure-only series. */
  dataAfterDemo: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  panels: Panel[];
}

const RATE = '5m';

export const DASHBOARDS: Dashboard[] = [
  {
    uid: 'broker-events-intake',
    title: 'Broker events: intake (gateway)',
    description:
      'Webhooks from Altinn Events into Kafka: what arrives, what is refused, how fast Kafka acknowledges.',
    panels: [
      {
        title: 'Webhook requests by outcome',
        description:
          'Every POST to the webhook, by what the gateway answered (published, duplicate, handshake, unauthorized, invalid, kafka_unavailable, …).',
        targets: [
          { expr: `sum by (outcome) (rate(gateway_requests_total[${RATE}]))`, legend: '{{outcome}}' },
        ],
        unit: 'reqps',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Events by outcome and type',
        description: 'Events (a batch counts each one) by outcome and canonical Broker type.',
        targets: [
          {
            expr: `sum by (outcome, type) (rate(gateway_events_total[${RATE}]))`,
            legend: '{{outcome}} {{type}}',
          },
        ],
        unit: 'ops',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Refusals: 401, 400, 503',
        description:
          '401 (wrong token or source address), 400 (invalid event, quarantined), 503 (Kafka unavailable: Altinn retries).',
        targets: [
          {
            expr: `sum by (outcome) (rate(gateway_requests_total{outcome=~"unauthorized|forbidden_source|invalid|kafka_unavailable"}[${RATE}]))`,
            legend: '{{outcome}}',
          },
        ],
        unit: 'reqps',
        source: 'gateway',
        dataAfterDemo: false,
      },
      {
        title: 'Publish latency (acks=all)',
        description: 'Time until Kafka acknowledged a request’s events.',
        targets: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (rate(gateway_publish_duration_seconds_bucket[${RATE}])))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (rate(gateway_publish_duration_seconds_bucket[${RATE}])))`,
            legend: 'p99',
          },
        ],
        unit: 's',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Subscription handshakes',
        description:
          'platform.events.validatesubscription answered in the last hour (one per new or re-posted subscription).',
        targets: [{ expr: 'sum(increase(gateway_handshakes_total[1h]))', legend: 'handshakes' }],
        unit: 'short',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Duplicates folded',
        description:
          'Events answered "duplicate" without a second publish (Altinn retries, token rotations).',
        targets: [{ expr: `sum(rate(gateway_duplicates_total[${RATE}]))`, legend: 'duplicates' }],
        unit: 'ops',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Quarantine',
        description:
          'Invalid bodies kept on the quarantine topic, and Altinn’s retries of them answered without a second copy.',
        targets: [
          { expr: 'sum(increase(gateway_quarantined_total[1h]))', legend: 'quarantined' },
          {
            expr: 'sum(increase(gateway_quarantine_repeats_total[1h]))',
            legend: 'retries of quarantined bodies',
          },
        ],
        unit: 'short',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Duplicate window (Redis)',
        description:
          'Waits for another replica’s claim, by outcome; and window operations passed over because Redis did not answer (fail open: maybe published twice).',
        targets: [
          {
            expr: `sum by (outcome) (rate(gateway_dedup_pending_total[${RATE}]))`,
            legend: 'waited: {{outcome}}',
          },
          {
            expr: `sum by (operation) (rate(gateway_dedup_unavailable_total[${RATE}]))`,
            legend: 'unavailable: {{operation}}',
          },
        ],
        unit: 'ops',
        source: 'gateway',
        dataAfterDemo: false,
      },
      {
        title: 'Source addresses refused',
        description:
          'Requests refused by ALLOWED_SOURCE_CIDRS; "internal" usually means the load balancer’s address is seen (TRUSTED_PROXY_HOPS).',
        targets: [
          {
            expr: `sum by (address_kind) (rate(gateway_source_refused_total[${RATE}]))`,
            legend: '{{address_kind}}',
          },
        ],
        unit: 'reqps',
        source: 'gateway',
        dataAfterDemo: false,
      },
      {
        title: 'Requests in flight and Kafka producer resets',
        description:
          'Requests being handled now; producers replaced after a failed produce request (last hour).',
        targets: [
          { expr: 'sum(gateway_requests_in_flight)', legend: 'in flight' },
          { expr: 'sum(increase(gateway_producer_resets_total[1h]))', legend: 'producer resets' },
        ],
        unit: 'short',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Records per produce request',
        description: 'How many events concurrent requests coalesce into one Kafka produce request.',
        targets: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (rate(gateway_produce_batch_records_bucket[${RATE}])))`,
            legend: 'median',
          },
        ],
        unit: 'short',
        source: 'gateway',
        dataAfterDemo: true,
      },
    ],
  },
  {
    uid: 'broker-events-delivery',
    title: 'Broker events: delivery (consumers)',
    description:
      'Each consumer (archive, email, slack, file-fetcher, yours): what it read, delivered, retried and dead-lettered, and how far behind it is.',
    panels: [
      {
        title: 'Read and delivered per consumer',
        description: 'Records read from Kafka (source and retry topics) and events the sink accepted.',
        targets: [
          { expr: `sum by (consumer) (rate(pipeline_received_total[${RATE}]))`, legend: 'read {{consumer}}' },
          {
            expr: `sum by (consumer) (rate(pipeline_delivered_total[${RATE}]))`,
            legend: 'delivered {{consumer}}',
          },
        ],
        unit: 'ops',
        source: 'consumers',
        dataAfterDemo: true,
      },
      {
        title: 'Consumer lag',
        description: 'Records behind the newest, per consumer (summed over partitions).',
        targets: [{ expr: 'sum by (consumer) (pipeline_consumer_lag)', legend: '{{consumer}}' }],
        unit: 'short',
        source: 'consumers',
        dataAfterDemo: true,
      },
      {
        title: 'Skipped on purpose',
        description:
          'reason=filter (the consumer’s filter said no) or duplicate (already delivered by this consumer).',
        targets: [
          {
            expr: `sum by (consumer, reason) (rate(pipeline_skipped_total[${RATE}]))`,
            legend: '{{consumer}} {{reason}}',
          },
        ],
        unit: 'ops',
        source: 'consumers',
        dataAfterDemo: false,
      },
      {
        title: 'Retries',
        description: 'Transient failures retried in place (backoff) or parked on the retry topic.',
        targets: [
          {
            expr: `sum by (consumer, stage) (rate(pipeline_retried_total[${RATE}]))`,
            legend: '{{consumer}} {{stage}}',
          },
        ],
        unit: 'ops',
        source: 'consumers',
        dataAfterDemo: false,
      },
      {
        title: 'Dead letters (last hour)',
        description:
          'Records moved to a dead-letter topic: invalid, permanent failure, or retries exhausted. Re-drive with `npm run dlq`.',
        targets: [
          {
            expr: 'sum by (consumer, reason) (increase(pipeline_dead_lettered_total[1h]))',
            legend: '{{consumer}} {{reason}}',
          },
        ],
        unit: 'short',
        source: 'consumers',
        dataAfterDemo: false,
      },
      {
        title: 'Delivery time p99',
        description: 'From reading a record to its final outcome, retries in place included.',
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (consumer, le) (rate(pipeline_delivery_duration_seconds_bucket[${RATE}])))`,
            legend: '{{consumer}}',
          },
        ],
        unit: 's',
        source: 'consumers',
        dataAfterDemo: true,
      },
      {
        title: 'Failed parking (retry or dead-letter writes)',
        description:
          'The record is read again, nothing is lost; non-zero means Kafka refuses writes to the retry or dead-letter topics.',
        targets: [
          { expr: 'sum by (consumer) (increase(pipeline_park_failures_total[1h]))', legend: '{{consumer}}' },
        ],
        unit: 'short',
        source: 'consumers',
        dataAfterDemo: false,
      },
      {
        title: 'Emails sent',
        description: 'Messages the SMTP server accepted.',
        targets: [
          { expr: `sum by (consumer) (rate(email_messages_sent_total[${RATE}]))`, legend: '{{consumer}}' },
        ],
        unit: 'ops',
        source: 'email',
        dataAfterDemo: true,
      },
    ],
  },
  {
    uid: 'broker-events-altinn',
    title: 'Broker events: Altinn side (poller, file fetcher, subscriptions)',
    description:
      'Whether Altinn still delivers, what the catch-up poller recovers, and what the file fetcher downloads and confirms.',
    panels: [
      {
        title: 'Events from Altinn per hour',
        description:
          'Published and duplicate events through the webhook. A subscription that has gone silent shows here first (alert BrokerEventsAltinnQuiet).',
        targets: [
          {
            expr: 'sum(increase(gateway_events_total{outcome=~"published|duplicate"}[1h]))',
            legend: 'events',
          },
        ],
        unit: 'short',
        source: 'gateway',
        dataAfterDemo: true,
      },
      {
        title: 'Time since the poller’s last successful poll',
        description: 'Per resource. Grows while the poller cannot reach Altinn or is not running.',
        targets: [
          {
            expr: 'time() - max by (resource) (poller_last_success_timestamp_seconds)',
            legend: '{{resource}}',
          },
        ],
        unit: 's',
        source: 'poller',
        dataAfterDemo: false,
      },
      {
        title: 'Polls by outcome',
        description: 'GET /events rounds per resource and outcome.',
        targets: [
          {
            expr: `sum by (resource, outcome) (rate(poller_polls_total[${RATE}]))`,
            legend: '{{resource}} {{outcome}}',
          },
        ],
        unit: 'ops',
        source: 'poller',
        dataAfterDemo: false,
      },
      {
        title: 'Events recovered by the poller (last hour)',
        description: 'Events the webhook missed and the poller published.',
        targets: [
          {
            expr: 'sum by (resource, type) (increase(poller_events_recovered_total[1h]))',
            legend: '{{resource}} {{type}}',
          },
        ],
        unit: 'short',
        source: 'poller',
        dataAfterDemo: false,
      },
      {
        title: 'Files fetched by result',
        description:
          'Downloads by result (confirmed, failed, …) and trigger (event or reconcile), last hour.',
        targets: [
          {
            expr: 'sum by (result, trigger) (increase(fetcher_files_total[1h]))',
            legend: '{{result}} ({{trigger}})',
          },
        ],
        unit: 'short',
        source: 'file-fetcher',
        dataAfterDemo: false,
      },
      {
        title: 'Download throughput and checksum mismatches',
        description: 'Bytes downloaded per second; files whose checksum did not match (last hour).',
        targets: [
          { expr: `sum(rate(fetcher_bytes_total[${RATE}]))`, legend: 'bytes/s' },
          { expr: 'sum(increase(fetcher_checksum_mismatches_total[1h]))', legend: 'checksum mismatches' },
        ],
        unit: 'Bps',
        source: 'file-fetcher',
        dataAfterDemo: false,
      },
      {
        title: 'Reconciliation runs',
        description:
          'Runs of the published-transfer reconciler by outcome, and transfers it found that no event announced.',
        targets: [
          {
            expr: 'sum by (outcome) (increase(fetcher_reconcile_runs_total[1h]))',
            legend: 'runs {{outcome}}',
          },
          {
            expr: 'sum by (resource) (increase(fetcher_reconcile_found_total[1h]))',
            legend: 'found {{resource}}',
          },
        ],
        unit: 'short',
        source: 'file-fetcher',
        dataAfterDemo: false,
      },
    ],
  },
  {
    uid: 'broker-events-resources',
    title: 'Broker events: resources',
    description: 'Memory, CPU and event-loop health of every app (Node.js process metrics).',
    panels: [
      {
        title: 'Resident memory',
        description: 'RSS per app instance.',
        targets: [
          {
            expr: 'max by (service, instance) (process_resident_memory_bytes)',
            legend: '{{service}} {{instance}}',
          },
        ],
        unit: 'bytes',
        source: 'process',
        dataAfterDemo: true,
      },
      {
        title: 'CPU',
        description: 'Cores used per app instance.',
        targets: [
          {
            expr: `sum by (service, instance) (rate(process_cpu_seconds_total[${RATE}]))`,
            legend: '{{service}} {{instance}}',
          },
        ],
        unit: 'short',
        source: 'process',
        dataAfterDemo: true,
      },
      {
        title: 'Event-loop lag p99',
        description: 'A busy or blocked event loop delays every request and delivery.',
        targets: [
          {
            expr: 'max by (service, instance) (nodejs_eventloop_lag_p99_seconds)',
            legend: '{{service}} {{instance}}',
          },
        ],
        unit: 's',
        source: 'process',
        dataAfterDemo: true,
      },
      {
        title: 'Heap used',
        description: 'V8 heap in use per app instance.',
        targets: [
          {
            expr: 'max by (service, instance) (nodejs_heap_size_used_bytes)',
            legend: '{{service}} {{instance}}',
          },
        ],
        unit: 'bytes',
        source: 'process',
        dataAfterDemo: true,
      },
    ],
  },
];

/** Grafana's dashboard JSON for `d`: a Prometheus data-source variable and one time-series panel per entry. */
export function grafanaDashboard(d: Dashboard): Record<string, unknown> {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['broker-events'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    panels: d.panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      description: p.description,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };
}

/** Every metric name a PromQL expression reads (histogram suffixes folded to the family name). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const re = /\b((?:gateway|pipeline|poller|fetcher|email|process|nodejs)_[a-z0-9_]+)\b/g;
  for (const m of expr.matchAll(re)) names.add(m[1].replace(/_(bucket|sum|count)$/, ''));
  return [...names];
}
