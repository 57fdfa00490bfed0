import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  type AppLogger,
  APP_LOGGER,
  HealthRegistry,
  ObservabilityModule,
} from '@broker-events/observability';
import { createKafka } from '@broker-events/messaging';
import { ArchiveClient } from './archive/archive.client';
import { PollerClient } from './attention/poller.client';
import type { AuditStore } from './audit/audit.store';
import { PostgresAuditStore } from './audit/postgres-audit.store';
import { SqliteAuditStore } from './audit/sqlite-audit.store';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { SignedInGuard } from './auth/signed-in.guard';
import { CONSOLE_CONFIG, type ConsoleConfig } from './config/console.config';
import { ConsoleErrorsFilter } from './console-errors.filter';
import { AUDIT_STORE, KAFKA, POLLER_CLIENT } from './console.tokens';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { LiveController } from './live/live.controller';
import { LiveService } from './live/live.service';
import { PagesController } from './pages.controller';
import { StaticController } from './static.controller';

export function createAuditStore(config: ConsoleConfig): AuditStore {
  return config.CONSOLE_DATABASE_URL
    ? new PostgresAuditStore(config.CONSOLE_DATABASE_URL, config.CONSOLE_DB_SCHEMA)
    : new SqliteAuditStore(config.CONSOLE_SQLITE_PATH);
}

@Module({})
export class AppModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_STORE) private readonly audit: AuditStore,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly health: HealthRegistry,
  ) {}

  static forRoot(config: ConsoleConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'console', logger })],
      controllers: [PagesController, DeadLettersController, AuthController, LiveController, StaticController],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: AUDIT_STORE, useFactory: () => createAuditStore(config) },
        { provide: KAFKA, useFactory: () => createKafka(config, 'console', logger) },
        {
          provide: ArchiveClient,
          useFactory: () => new ArchiveClient(config.ARCHIVE_URL, config.CONSOLE_HTTP_TIMEOUT_MS),
        },
        {
          provide: POLLER_CLIENT,
          useFactory: () => new PollerClient(config.POLLER_URL, config.CONSOLE_HTTP_TIMEOUT_MS),
        },
        AuthService,
        SignedInGuard,
        DeadLettersService,
        LiveService,
        { provide: APP_FILTER, useClass: ConsoleErrorsFilter },
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    const applied = await this.audit.migrate();
    this.logger.info({ store: this.audit.kind, applied }, 'console audit schema up to date');
    // Ready when the audit log can be written: a re-drive is never done unrecorded. The archive and Kafka being
    // down shows on the pages; taking the console out of the Service would not help anyone.
    this.health.register('audit', () => this.audit.ping());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.audit.close();
  }
}
