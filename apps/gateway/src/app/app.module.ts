import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type AppLogger, APP_LOGGER, ObservabilityModule } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config';
import { GatewayMetrics } from './gateway.metrics';
import { ProblemFilter } from './problem.filter';
import { EventPublisherService } from './publishing/event-publisher.service';
import { type DedupStore, MemoryDedupStore, RedisDedupStore } from './webhook/dedup.store';
import { WebhookController } from './webhook/webhook.controller';
import { DEDUP_STORE, WebhookService } from './webhook/webhook.service';

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
          useFactory: (log: AppLogger): DedupStore =>
            config.REDIS_URL
              ? new RedisDedupStore(config.REDIS_URL, config.DEDUP_WINDOW_SECONDS * 1000, log)
              : new MemoryDedupStore(config.DEDUP_WINDOW_SECONDS * 1000, config.DEDUP_MEMORY_MAX_ENTRIES),
          inject: [APP_LOGGER],
        },
        EventPublisherService,
        WebhookService,
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
