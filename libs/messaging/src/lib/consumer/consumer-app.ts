import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  APP_LOGGER,
  type AppLogger,
  HealthRegistry,
  NestPinoLogger,
  startTracing,
} from '@broker-events/observability';
import { Registry } from 'prom-client';
import { exitOnKafkaAccessProblem, watchKafkaAccess } from '../kafka-access';
import { type KafkaConnectionConfig, createKafka } from '../kafka-config';
import { type PipelineConfig, retryPolicyFromConfig } from './consumer-config';
import { DeliveryPipeline, type DeliveryPipelineOptions } from './delivery-pipeline';
import type { Sink } from './sink';

export interface PipelineProviderSettings {
  config: KafkaConnectionConfig & PipelineConfig;
  /** The DI token of the app's Sink (usually its class): where the pipeline delivers. */
  sink: string | symbol | Type<Sink>;
  /** Extra options (filter, idempotency store, …); may depend on injected providers via `inject`. */
  options?: (...deps: never[]) => Partial<Omit<DeliveryPipelineOptions, 'sink'>>;
  inject?: (string | symbol | Type<unknown>)[];
}

/**
 * The Nest provider of an app's DeliveryPipeline, built from the shared pipeline config, the app's sink, its
 * metrics registry and logger, plus whatever the app adds (its filter, an idempotency store).
 */
export function pipelineProvider(settings: PipelineProviderSettings): Provider {
  const { config } = settings;
  return {
    provide: DeliveryPipeline,
    useFactory: (registry: Registry, logger: AppLogger, sink: Sink, ...deps: never[]) =>
      new DeliveryPipeline({
        consumer: config.CONSUMER_NAME,
        kafka: createKafka(config, `${config.CONSUMER_NAME}-server`, logger),
        sink,
        sourceTopics: config.CONSUMER_TOPICS,
        retry: retryPolicyFromConfig(config),
        concurrency: config.CONSUMER_CONCURRENCY,
        fromBeginning: config.CONSUMER_START_FROM === 'earliest',
        partitionsConsumedConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
        fetchMinBytes: config.KAFKA_FETCH_MIN_BYTES,
        maxWaitTimeMs: config.KAFKA_FETCH_MAX_WAIT_MS,
        reports: config.DELIVERY_REPORTS,
        reportFiltered: config.DELIVERY_REPORTS_FILTERED,
        createTopics: config.KAFKA_CREATE_TOPICS
          ? {
              partitions: config.KAFKA_TOPIC_PARTITIONS,
              replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
            }
          : undefined,
        metrics: registry,
        logger: logger.child({ component: 'pipeline' }),
        ...settings.options?.(...deps),
      }),
    inject: [Registry, APP_LOGGER, settings.sink, ...(settings.inject ?? [])],
  };
}

export interface ConsumerAppSettings {
  module: DynamicModule;
  config: PipelineConfig & KafkaConnectionConfig;
  logger: AppLogger;
  /** Extra readiness checks, e.g. the archive database. */
  readiness?: (app: NestFastifyApplication) => Record<string, () => Promise<boolean> | boolean>;
  /**
   * Handle SIGTERM/SIGINT: mark not ready, drain, close, and exit if that overruns SHUTDOWN_GRACE_MS.
   * True in main.ts; tests leave it off and call `app.close()`.
   */
  handleSignals?: boolean;
}

/**
 * Starts a consumer app: an HTTP server (Fastify) for health, metrics and the app's own routes, plus the
 * delivery pipeline its module provides (`pipelineProvider`). SIGTERM marks the app not ready, drains the
 * pipeline (in-flight deliveries finish, offsets are committed; Nest's beforeApplicationShutdown) and then runs
 * the app's own shutdown hooks (closing its stores).
 */
export async function startConsumerApp(settings: ConsumerAppSettings): Promise<NestFastifyApplication> {
  const { config, logger } = settings;
  const tracing = startTracing(config.CONSUMER_NAME, config);
  // A wrong password or an untrusted broker certificate ends the process with exit 78 naming the setting
  // (checked in the background until Kafka first answers); a broker that is merely down does not.
  const stopAccessWatch =
    (settings.handleSignals ?? true)
      ? watchKafkaAccess(
          config,
          config.CONSUMER_NAME,
          `${config.CONSUMER_NAME}-server`,
          exitOnKafkaAccessProblem,
        )
      : () => undefined;
  const app = await NestFactory.create<NestFastifyApplication>(
    settings.module,
    new FastifyAdapter({ logger: false, forceCloseConnections: 'idle', return503OnClosing: true }),
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  const pipeline = app.get(DeliveryPipeline);
  const health = app.get(HealthRegistry);
  health.register('kafka-consumer', () => pipeline.isReady());
  for (const [name, check] of Object.entries(settings.readiness?.(app) ?? {})) health.register(name, check);
  if (settings.handleSignals ?? true) {
    // Our own handler rather than Nest's enableShutdownHooks (which re-raises the signal): a clean drain exits 0.
    const onSignal = (signal: NodeJS.Signals): void => {
      stopAccessWatch();
      logger.info({ signal }, 'shutting down: draining the pipeline');
      health.markShuttingDown();
      setTimeout(() => {
        logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'graceful shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS).unref();
      app.close().then(
        async () => {
          await tracing.shutdown().catch(() => undefined);
          logger.info({}, 'shut down cleanly');
          logger.flush?.();
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  await app.init(); // the app's onModuleInit hooks (migrations, stores) run before the first delivery
  await pipeline.start();
  await app.listen(config.PORT, config.HOST);
  logger.info(
    {
      consumer: config.CONSUMER_NAME,
      groupId: pipeline.groupId,
      port: config.PORT,
      // Since the process started (Node's own start-up included): what tools/images' bench reads.
      startupMs: Math.round(process.uptime() * 1000),
    },
    'consumer started',
  );
  return app;
}
