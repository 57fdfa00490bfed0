import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type AppLogger, APP_LOGGER, ObservabilityModule } from '@broker-events/observability';
import {
  type IdempotencyStore,
  anyRoute,
  createIdempotencyStore,
  pipelineProvider,
} from '@broker-events/messaging';
import { Registry } from 'prom-client';
import { EMAIL_CONFIG, type EmailConfig, type EmailRoute } from './config/email.config';
import { EmailSink } from './email.sink';
import { IDEMPOTENCY_STORE, SUMMARY_BUFFER } from './email.tokens';
import { PostgresSummaryBuffer, type SummaryBuffer, SqliteSummaryBuffer } from './summary/summary-buffer';
import { SummarySender } from './summary/summary-sender';
import { SmtpMailer } from './smtp/smtp.mailer';

@Module({})
export class AppModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly mailer: SmtpMailer,
    private readonly summaries: SummarySender,
    @Inject(SUMMARY_BUFFER) private readonly buffer: SummaryBuffer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.buffer.init();
    this.summaries.start();
  }

  static forRoot(config: EmailConfig, routes: EmailRoute[], logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'email', logger })],
      providers: [
        { provide: EMAIL_CONFIG, useValue: config },
        { provide: IDEMPOTENCY_STORE, useFactory: () => createIdempotencyStore(config) },
        { provide: SmtpMailer, useFactory: () => new SmtpMailer(config) },
        {
          provide: SUMMARY_BUFFER,
          useFactory: () =>
            config.IDEMPOTENCY_DATABASE_URL
              ? new PostgresSummaryBuffer(config.IDEMPOTENCY_DATABASE_URL, config.IDEMPOTENCY_DB_SCHEMA)
              : new SqliteSummaryBuffer(config.EMAIL_SUMMARY_SQLITE_PATH),
        },
        {
          provide: SummarySender,
          useFactory: (mailer: SmtpMailer, buffer: SummaryBuffer, log: AppLogger) =>
            new SummarySender(
              buffer,
              mailer,
              {
                from: config.EMAIL_FROM,
                quietMs: config.EMAIL_SUMMARY_QUIET_SECONDS * 1000,
                maxWaitMs: config.EMAIL_SUMMARY_MAX_WAIT_SECONDS * 1000,
                tickMs: Math.min(1000, config.EMAIL_SUMMARY_QUIET_SECONDS * 500),
                maxListed: config.EMAIL_SUMMARY_MAX_LISTED,
              },
              log.child({ component: 'summary' }),
            ),
          inject: [SmtpMailer, SUMMARY_BUFFER, APP_LOGGER],
        },
        {
          provide: EmailSink,
          useFactory: (
            mailer: SmtpMailer,
            store: IdempotencyStore,
            buffer: SummaryBuffer,
            registry: Registry,
            log: AppLogger,
          ) =>
            new EmailSink(routes, mailer, store, config.EMAIL_FROM, registry, log, {
              buffer,
              afterMs: config.EMAIL_SUMMARY_AFTER_SECONDS * 1000,
            }),
          inject: [SmtpMailer, IDEMPOTENCY_STORE, SUMMARY_BUFFER, Registry, APP_LOGGER],
        },
        // Only events some rule routes; the store skips events already mailed (and is closed by the pipeline).
        pipelineProvider({
          config,
          sink: EmailSink,
          inject: [IDEMPOTENCY_STORE],
          options: (store: IdempotencyStore) => ({
            filter: anyRoute(routes),
            idempotency: store,
            idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION_DAYS * 86_400_000,
          }),
        }),
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.summaries.stop();
    await this.buffer.close();
    this.mailer.close();
  }
}
