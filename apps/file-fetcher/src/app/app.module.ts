import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { BrokerEventType, filters } from '@broker-events/contracts';
import { type AltinnClient, createAltinnClient } from '@broker-events/altinn-client';
import { pipelineProvider } from '@broker-events/messaging';
import { type AppLogger, APP_LOGGER, ObservabilityModule } from '@broker-events/observability';
import { Registry } from 'prom-client';
import {
  FILE_FETCHER_CONFIG,
  FILE_FETCHER_SCOPES,
  type FileFetcherConfig,
  resourceIds,
} from './config/file-fetcher.config';
import { FileFetcherMetrics } from './file-fetcher.metrics';
import { ALTINN_CLIENT, FILE_STORAGE, OUTCOME_STORE } from './file-fetcher.tokens';
import { FileFetcher } from './fetching/file-fetcher';
import { FileFetcherSink } from './fetching/file-fetcher.sink';
import { ReconcilerService } from './fetching/reconciler.service';
import { FilesController } from './outcomes/files.controller';
import { type OutcomeStore, PostgresOutcomeStore, SqliteOutcomeStore } from './outcomes/outcome-store';
import { type FileStorage, LocalFolderStorage } from './storage/file-storage';
import { S3Storage } from './storage/s3-storage';

export function createOutcomeStore(config: FileFetcherConfig): OutcomeStore {
  return config.FETCH_DATABASE_URL
    ? new PostgresOutcomeStore(config.FETCH_DATABASE_URL, config.FETCH_DB_SCHEMA)
    : new SqliteOutcomeStore(config.FETCH_SQLITE_PATH);
}

export function createFileStorage(config: FileFetcherConfig): FileStorage {
  if (config.STORAGE_S3_BUCKET === undefined) return new LocalFolderStorage(config.STORAGE_DIR);
  return new S3Storage({
    endpoint: config.STORAGE_S3_ENDPOINT ?? '',
    bucket: config.STORAGE_S3_BUCKET,
    region: config.STORAGE_S3_REGION,
    accessKeyId: config.STORAGE_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: config.STORAGE_S3_SECRET_ACCESS_KEY ?? '',
    prefix: config.STORAGE_S3_PREFIX,
    spoolDir: config.STORAGE_DIR,
    timeoutMs: config.ALTINN_HTTP_TIMEOUT_MS,
  });
}

/** `published`, Recipient copy, addressed to our organisation, on one of our resources: decided on headers alone. */
export function fetchFilter(config: FileFetcherConfig) {
  return filters.all(
    filters.type(BrokerEventType.Published),
    filters.role('Recipient'),
    filters.organisation(config.FETCH_ORGANISATION_NUMBER),
    filters.any(...resourceIds(config).map((r) => filters.resource(r))),
  );
}

@Module({})
export class AppModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(OUTCOME_STORE) private readonly outcomes: OutcomeStore,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  static forRoot(config: FileFetcherConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'file-fetcher', logger })],
      controllers: [FilesController],
      providers: [
        { provide: FILE_FETCHER_CONFIG, useValue: config },
        {
          provide: FileFetcherMetrics,
          useFactory: (registry: Registry) => new FileFetcherMetrics(registry),
          inject: [Registry],
        },
        {
          provide: ALTINN_CLIENT,
          useFactory: () => createAltinnClient(config, { defaultScopes: FILE_FETCHER_SCOPES }),
        },
        { provide: OUTCOME_STORE, useFactory: () => createOutcomeStore(config) },
        { provide: FILE_STORAGE, useFactory: (): FileStorage => createFileStorage(config) },
        {
          provide: FileFetcher,
          useFactory: (
            altinn: AltinnClient,
            storage: FileStorage,
            outcomes: OutcomeStore,
            metrics: FileFetcherMetrics,
            log: AppLogger,
          ) =>
            new FileFetcher(altinn.broker, storage, outcomes, metrics, log, {
              organisationNumber: config.FETCH_ORGANISATION_NUMBER,
              verifyChecksum: config.FETCH_VERIFY_CHECKSUM,
              maxFileBytes: config.FETCH_MAX_FILE_BYTES,
              maxResumes: config.FETCH_DOWNLOAD_RESUMES,
            }),
          inject: [ALTINN_CLIENT, FILE_STORAGE, OUTCOME_STORE, FileFetcherMetrics, APP_LOGGER],
        },
        {
          provide: FileFetcherSink,
          useFactory: (fetcher: FileFetcher) => new FileFetcherSink(fetcher),
          inject: [FileFetcher],
        },
        ReconcilerService,
        // The outcome store is the idempotency record (by file transfer id), so no per-event store is needed.
        pipelineProvider({ config, sink: FileFetcherSink, options: () => ({ filter: fetchFilter(config) }) }),
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.outcomes.init();
    this.logger.info({ store: this.outcomes.kind }, 'fetch outcome store ready');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outcomes.close();
  }
}
