import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TOPICS } from '@broker-events/contracts';
import { eventProducerProvider } from '@broker-events/messaging';
import { type AppLogger, APP_LOGGER, ObservabilityModule } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config';
import { GatewayMetrics } from './gateway.metrics';
import { DEDUP_STORE } from './gateway.tokens';
import { type DedupStore, MemoryDedupStore, RedisDedupStore } from './webhook/dedup.store';
import { WebhookController } from './webhook/webhook.controller';
import { WebhookHttp } from './webhook/webhook-http.plugin';
import { WebhookService } from './webhook/webhook.service';

/** A claim outlives its holder's publish (bounded by PUBLISH_TIMEOUT_MS) by this much before it expires. */
const CLAIM_MARGIN_MS = 2000;
/** At most one "duplicate window unavailable" log line per this period; the metric counts every one. */
const UNAVAILABLE_LOG_EVERY_MS = 10_000;

function createDedupStore(config: GatewayConfig, log: AppLogger, metrics: GatewayMetrics): DedupStore {
  const windowMs = config.DEDUP_WINDOW_SECONDS * 1000;
  if (!config.REDIS_URL) return new MemoryDedupStore(windowMs, config.DEDUP_MEMORY_MAX_ENTRIES);
  let lastLog = 0;
  let passedOver = 0;
  return new RedisDedupStore({
    url: config.REDIS_URL,
    windowMs,
    claimTtlMs: config.PUBLISH_TIMEOUT_MS + CLAIM_MARGIN_MS,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    onUnavailable: (operation, error) => {
      metrics.dedupUnavailable.inc({ operation });
      passedOver++;
      if (Date.now() - lastLog < UNAVAILABLE_LOG_EVERY_MS) return;
      lastLog = Date.now();
      log.warn(
        { err: String(error), operation, passedOver },
        'duplicate window (Redis) unavailable; publishing without it, so an event may be published twice',
      );
      passedOver = 0;
    },
  });
}

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'gateway', logger })],
      controllers: [WebhookController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          provide: GatewayMetrics,
          useFactory: (registry: Registry) => new GatewayMetrics(registry),
          inject: [Registry],
        },
        {
          provide: DEDUP_STORE,
          useFactory: (log: AppLogger, metrics: GatewayMetrics): DedupStore =>
            createDedupStore(config, log, metrics),
          inject: [APP_LOGGER, GatewayMetrics],
        },
        // Closed on application shutdown, after the HTTP server stopped taking requests.
        eventProducerProvider({
          options: (metrics: GatewayMetrics) => ({
            config,
            topics: [TOPICS.events, TOPICS.quarantine],
            publisher: { maxBatchRecords: config.PUBLISH_MAX_BATCH, lingerMs: config.PUBLISH_LINGER_MS },
            observer: metrics.producerObserver(),
          }),
          inject: [GatewayMetrics],
        }),
        WebhookService,
        WebhookHttp,
        { provide: APP_FILTER, useExisting: WebhookHttp },
      ],
    };
  }
}
