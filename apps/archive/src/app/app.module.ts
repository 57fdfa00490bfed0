import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  type AppLogger,
  APP_LOGGER,
  HealthRegistry,
  ObservabilityModule,
} from '@broker-events/observability';
import { Registry } from 'prom-client';
import { pipelineProvider } from '@broker-events/messaging';
import { ArchiveDeliveriesConsumer } from './archive-deliveries.consumer';
import { ArchiveQueryController } from './archive-query.controller';
import { ArchiveRetention } from './archive-retention';
import { ArchiveSink } from './archive.sink';
import { ArchiveSummarizer } from './archive-summarizer';
import { ARCHIVE_STORE } from './archive.tokens';
import { ArchiveWriter } from './archive.writer';
import { ARCHIVE_CONFIG, type ArchiveConfig } from './config/archive.config';
import type { ArchiveStore } from './store/archive-store';
import { PostgresArchiveStore } from './store/postgres-archive.store';
import { SqliteArchiveStore } from './store/sqlite-archive.store';

export function createArchiveStore(config: ArchiveConfig): ArchiveStore {
  return config.ARCHIVE_DATABASE_URL
    ? new PostgresArchiveStore(
        config.ARCHIVE_DATABASE_URL,
        config.ARCHIVE_DB_SCHEMA,
        config.ARCHIVE_DB_POOL_SIZE,
      )
    : new SqliteArchiveStore(config.ARCHIVE_SQLITE_PATH);
}

@Module({})
export class AppModule
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    private readonly writer: ArchiveWriter,
    private readonly deliveries: ArchiveDeliveriesConsumer,
    private readonly retention: ArchiveRetention,
    private readonly summarizer: ArchiveSummarizer,
    private readonly health: HealthRegistry,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  static forRoot(config: ArchiveConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'archive', logger })],
      controllers: [ArchiveQueryController],
      providers: [
        { provide: ARCHIVE_CONFIG, useValue: config },
        { provide: ARCHIVE_STORE, useFactory: () => createArchiveStore(config) },
        {
          provide: ArchiveWriter,
          useFactory: (store: ArchiveStore) =>
            new ArchiveWriter(store, {
              maxRows: config.ARCHIVE_BATCH_MAX_ROWS,
              lingerMs: config.ARCHIVE_BATCH_LINGER_MS,
              // SQLite writes one batch at a time anyway; PostgreSQL gets one batch per pooled connection.
              maxInFlight: config.ARCHIVE_DATABASE_URL ? config.ARCHIVE_DB_POOL_SIZE : 1,
            }),
          inject: [ARCHIVE_STORE],
        },
        {
          provide: ArchiveSink,
          useFactory: (writer: ArchiveWriter) => new ArchiveSink(writer),
          inject: [ArchiveWriter],
        },
        {
          provide: ArchiveDeliveriesConsumer,
          useFactory: (store: ArchiveStore, appLogger: AppLogger) =>
            new ArchiveDeliveriesConsumer(config, store, appLogger),
          inject: [ARCHIVE_STORE, APP_LOGGER],
        },
        {
          provide: ArchiveRetention,
          useFactory: (store: ArchiveStore, appLogger: AppLogger) =>
            new ArchiveRetention(
              store,
              {
                days: config.ARCHIVE_RETENTION_DAYS,
                intervalMs: config.ARCHIVE_RETENTION_INTERVAL_MINUTES * 60_000,
                batch: config.ARCHIVE_RETENTION_BATCH,
              },
              appLogger.child({ component: 'retention' }),
            ),
          inject: [ARCHIVE_STORE, APP_LOGGER],
        },
        {
          provide: ArchiveSummarizer,
          useFactory: (store: ArchiveStore, registry: Registry, appLogger: AppLogger) =>
            new ArchiveSummarizer(
              store,
              {
                intervalMs: config.ARCHIVE_SUMMARY_INTERVAL_MS,
                batch: config.ARCHIVE_SUMMARY_BATCH,
                lagWarnSeconds: config.ARCHIVE_SUMMARY_LAG_WARN_SECONDS,
              },
              registry,
              appLogger.child({ component: 'summarizer' }),
            ),
          inject: [ARCHIVE_STORE, Registry, APP_LOGGER],
        },
        // Every event, of every type: no filter, and no idempotency store (ON CONFLICT (source, id) is the store).
        pipelineProvider({ config, sink: ArchiveSink }),
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    const applied = await this.store.migrate();
    this.logger.info({ store: this.store.kind, applied }, 'archive schema up to date');
  }

  /** After the migrations: the delivery reports are read beside the events (the pipeline starts next). */
  async onApplicationBootstrap(): Promise<void> {
    await this.deliveries.start();
    this.retention.start();
    this.summarizer.start();
    this.health.registerNote('summarizer', () => this.summarizer.note());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.retention.stop();
    await this.deliveries.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
    // After the last batch; marks left behind are summarised by the next start (they are in the database).
    await this.summarizer.stop();
    await this.store.close();
  }
}
