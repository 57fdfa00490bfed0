import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The pipeline's Prometheus metrics; every series carries the consumer name. */
export class PipelineMetrics {
  readonly received: Counter<'consumer' | 'topic'>;
  readonly delivered: Counter<'consumer'>;
  readonly skipped: Counter<'consumer' | 'reason'>;
  readonly retried: Counter<'consumer' | 'stage'>;
  readonly deadLettered: Counter<'consumer' | 'reason'>;
  readonly parkFailures: Counter<'consumer'>;
  readonly reportFailures: Counter<'consumer'>;
  readonly deliveryLatency: Histogram<'consumer' | 'outcome'>;
  readonly lag: Gauge<'consumer' | 'topic' | 'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const get = <T>(name: string, make: () => T): T =>
      (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.received = get(
      'pipeline_received_total',
      () =>
        new Counter({
          name: 'pipeline_received_total',
          help: 'Records read from Kafka (source and retry topics).',
          labelNames: ['consumer', 'topic'],
          registers,
        }),
    );
    this.delivered = get(
      'pipeline_delivered_total',
      () =>
        new Counter({
          name: 'pipeline_delivered_total',
          help: 'Events the sink accepted.',
          labelNames: ['consumer'],
          registers,
        }),
    );
    this.skipped = get(
      'pipeline_skipped_total',
      () =>
        new Counter({
          name: 'pipeline_skipped_total',
          help: 'Records not delivered on purpose: reason=filter (the consumer filter said no) or duplicate (already delivered).',
          labelNames: ['consumer', 'reason'],
          registers,
        }),
    );
    this.retried = get(
      'pipeline_retried_total',
      () =>
        new Counter({
          name: 'pipeline_retried_total',
          help: 'Retries after a transient failure: stage=in_place (backoff and call again) or retry_topic (parked with a delay).',
          labelNames: ['consumer', 'stage'],
          registers,
        }),
    );
    this.deadLettered = get(
      'pipeline_dead_lettered_total',
      () =>
        new Counter({
          name: 'pipeline_dead_lettered_total',
          help: 'Records moved to the dead-letter topic: reason=invalid, permanent or exhausted.',
          labelNames: ['consumer', 'reason'],
          registers,
        }),
    );
    this.parkFailures = get(
      'pipeline_park_failures_total',
      () =>
        new Counter({
          name: 'pipeline_park_failures_total',
          help: 'Failed writes to the retry or dead-letter topic (the record is read again, nothing is lost).',
          labelNames: ['consumer'],
          registers,
        }),
    );
    this.reportFailures = get(
      'pipeline_reports_failed_total',
      () =>
        new Counter({
          name: 'pipeline_reports_failed_total',
          help: 'Delivery reports that could not be written to the deliveries topic (the event was handled; its report is missing).',
          labelNames: ['consumer'],
          registers,
        }),
    );
    this.deliveryLatency = get(
      'pipeline_delivery_duration_seconds',
      () =>
        new Histogram({
          name: 'pipeline_delivery_duration_seconds',
          help: 'Time from reading a record to its final outcome, retries in place included.',
          labelNames: ['consumer', 'outcome'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    );
    this.lag = get(
      'pipeline_consumer_lag',
      () =>
        new Gauge({
          name: 'pipeline_consumer_lag',
          help: 'Records behind the partition high watermark after the last batch (kafkajs batch.offsetLag()).',
          labelNames: ['consumer', 'topic', 'partition'],
          registers,
        }),
    );
  }
}
