import type { FactoryProvider, InjectionToken, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HEADERS, type KafkaRecord } from '@broker-events/contracts';
import {
  APP_LOGGER,
  type AppLogger,
  HealthRegistry,
  SpanKind,
  currentTraceparent,
  withSpan,
} from '@broker-events/observability';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../kafka-config';
import { KafkaProbe, ensureTopics } from '../topics-admin';
import { CoalescingPublisher, type PublisherObserver, type PublisherOptions } from '../publisher';
import type { ProducerConfig } from './producer.config';

/** A failed topic creation is tried again after this long. */
const TOPIC_RETRY_MS = 5000;
/** Readiness answers from one metadata probe for this long, so frequent probes stay cheap. */
const PROBE_CACHE_MS = 1000;

export interface ProducerObserver extends PublisherObserver {
  /** One `publish` call settled (acknowledged or failed) after `seconds`. */
  published?(seconds: number, ok: boolean): void;
}

export interface EventProducerOptions {
  config: ProducerConfig;
  /** Every topic the app writes to: created when KAFKA_CREATE_TOPICS, probed for readiness, warmed at start. */
  topics: string[];
  /** Batching of produce requests; the deadline is the config's PUBLISH_TIMEOUT_MS. */
  publisher?: Partial<Omit<PublisherOptions, 'timeoutMs'>>;
  observer?: ProducerObserver;
}

/** A producer span: its name's topic and attributes beside `messaging.system` and the destination. */
export interface PublishTrace {
  topic: string;
  attributes?: Record<string, string | number | boolean>;
}

/**
 * How an app writes to Kafka (the gateway and the poller): acks=all writes coalesced by CoalescingPublisher,
 * topic creation for local runs (retried every 5 s until it succeeds; not ready before), readiness from a
 * metadata probe cached for a second, kafkajs's warnings in the app's log, and, per call, an optional
 * OpenTelemetry producer span whose context each record carries in `ce_traceparent`.
 *
 * A Nest provider ({@link eventProducerProvider}): it starts on module init without waiting for Kafka, and
 * closes on application shutdown, after the HTTP server stopped and after `beforeApplicationShutdown` hooks
 * (where an app finishes the work that still publishes).
 */
export class EventProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private readonly publisher: CoalescingPublisher;
  private readonly probe: KafkaProbe;
  private readonly observer: ProducerObserver;
  private topicsReady: boolean;
  private topicTimer?: NodeJS.Timeout;
  private started?: Promise<void>;
  private connecting?: Promise<void>;
  private closed = false;
  private lastProbe = { at: 0, ok: false };

  constructor(
    private readonly options: EventProducerOptions,
    private readonly logger: AppLogger,
  ) {
    const { config } = options;
    this.kafka = createKafka(config, config.KAFKA_CLIENT_ID, logger);
    this.observer = options.observer ?? {};
    const observer = this.observer;
    this.publisher = new CoalescingPublisher(
      this.kafka,
      { ...options.publisher, timeoutMs: config.PUBLISH_TIMEOUT_MS },
      {
        batch: (records, seconds, ok) => {
          observer.batch?.(records, seconds, ok);
          if (!ok) this.logger.warn({ records, seconds }, 'produce request failed');
        },
        reset: (reason) => {
          observer.reset?.(reason);
          this.logger.warn({ err: String(reason) }, 'Kafka producer replaced after a failure');
        },
      },
    );
    this.probe = new KafkaProbe(this.kafka, options.topics);
    this.topicsReady = !config.KAFKA_CREATE_TOPICS;
  }

  onModuleInit(): void {
    void this.start();
  }

  /**
   * Starts topic creation (when configured) and the connection, never failing: resolves after the first
   * attempt at creating the topics (later attempts run in the background), so an app that wants its topics
   * before its first write can wait for it. Start-up never waits for Kafka otherwise.
   */
  start(): Promise<void> {
    if (!this.started) {
      this.started = this.options.config.KAFKA_CREATE_TOPICS ? this.createTopics() : Promise.resolve();
      this.connecting = this.publisher.connect(this.options.topics).catch((e: unknown) => {
        this.logger.warn({ err: String(e) }, 'Kafka not reachable at start-up; will retry on demand');
      });
    }
    return this.started;
  }

  private async createTopics(): Promise<void> {
    const { config, topics } = this.options;
    try {
      const created = await ensureTopics(
        this.kafka,
        topics.map((topic) => ({
          topic,
          partitions: config.KAFKA_TOPIC_PARTITIONS,
          replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
        })),
      );
      this.topicsReady = true;
      if (created.length > 0) this.logger.info({ topics: created }, 'created topics');
    } catch (e) {
      if (this.closed) return;
      this.logger.warn({ err: String(e) }, `could not ensure topics; retrying in ${TOPIC_RETRY_MS / 1000} s`);
      this.topicTimer = setTimeout(() => void this.createTopics(), TOPIC_RETRY_MS);
    }
  }

  /** Kafka is usable: the topics exist (or are not ours to create) and a metadata probe (cached 1 s) answers. */
  async ready(): Promise<boolean> {
    if (!this.topicsReady) return false;
    if (Date.now() - this.lastProbe.at < PROBE_CACHE_MS) return this.lastProbe.ok;
    const ok = await this.probe.check();
    this.lastProbe = { at: Date.now(), ok };
    return ok;
  }

  /**
   * Resolves when Kafka acknowledged every record (acks=all); rejects otherwise. With `trace`, inside a
   * producer span whose trace context each record without one of its own carries (`ce_traceparent`).
   */
  publish(records: KafkaRecord[], trace?: PublishTrace): Promise<void> {
    if (!trace) return this.timed(records);
    return withSpan(
      `publish ${trace.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': trace.topic,
          ...trace.attributes,
        },
      },
      () => {
        const traceparent = currentTraceparent();
        if (traceparent)
          for (const r of records)
            if (r.headers[HEADERS.traceparent] === undefined) r.headers[HEADERS.traceparent] = traceparent;
        return this.timed(records);
      },
    );
  }

  private async timed(records: KafkaRecord[]): Promise<void> {
    if (!this.observer.published) return this.publisher.publish(records);
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      await this.publisher.publish(records);
      ok = true;
    } finally {
      this.observer.published(Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
  }

  /** Finishes queued and in-flight writes, then disconnects; later publishes are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.topicTimer) clearTimeout(this.topicTimer);
    // A connect still under way (bounded by PUBLISH_TIMEOUT_MS) would otherwise leave a producer behind.
    await this.connecting;
    await this.publisher.close();
    await this.probe.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

export interface EventProducerSettings<Deps extends unknown[]> {
  /** The producer's options, from the app's providers named in `inject` (e.g. its metrics for the observer). */
  options: (...deps: Deps) => EventProducerOptions;
  inject?: InjectionToken[];
}

/**
 * The Nest provider of an app's EventProducer: built with the app's logger, and registered as the `kafka`
 * readiness check.
 */
export function eventProducerProvider<Deps extends unknown[]>(
  settings: EventProducerSettings<Deps>,
): FactoryProvider<EventProducer> {
  return {
    provide: EventProducer,
    useFactory: (logger: AppLogger, health: HealthRegistry, ...deps: Deps) => {
      const producer = new EventProducer(settings.options(...deps), logger);
      health.register('kafka', () => producer.ready());
      return producer;
    },
    inject: [APP_LOGGER, HealthRegistry, ...(settings.inject ?? [])],
  };
}
