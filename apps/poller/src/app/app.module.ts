import { type DynamicModule, Module } from '@nestjs/common';
import { createAltinnClient } from '@broker-events/altinn-client';
import { eventProducerProvider } from '@broker-events/messaging';
import { type AppLogger, ObservabilityModule } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { POLLER_CONFIG, POLLER_SCOPES, type PollerConfig } from './config/poller.config';
import { type CursorStore, PostgresCursorStore, SqliteCursorStore } from './cursor/cursor-store';
import { PollerMetrics } from './poller.metrics';
import { ALTINN_CLIENT, CURSOR_STORE } from './poller.tokens';
import { PollerService } from './polling/poller.service';

export function createCursorStore(config: PollerConfig): CursorStore {
  return config.POLLER_DATABASE_URL
    ? new PostgresCursorStore(config.POLLER_DATABASE_URL, config.POLLER_DB_SCHEMA)
    : new SqliteCursorStore(config.POLLER_SQLITE_PATH);
}

@Module({})
export class AppModule {
  static forRoot(config: PollerConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'poller', logger })],
      providers: [
        { provide: POLLER_CONFIG, useValue: config },
        {
          provide: PollerMetrics,
          useFactory: (registry: Registry) => new PollerMetrics(registry),
          inject: [Registry],
        },
        { provide: CURSOR_STORE, useFactory: () => createCursorStore(config) },
        {
          provide: ALTINN_CLIENT,
          useFactory: () => createAltinnClient(config, { defaultScopes: POLLER_SCOPES }),
        },
        // Closed on application shutdown, after PollerService waited for a running poll.
        eventProducerProvider({
          options: () => ({ config, topics: [config.POLLER_TOPIC, config.POLLER_QUARANTINE_TOPIC] }),
        }),
        PollerService,
      ],
    };
  }
}
