import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
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
import { IDEMPOTENCY_STORE } from './email.tokens';
import { SmtpMailer } from './smtp/smtp.mailer';

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(private readonly mailer: SmtpMailer) {}

  static forRoot(config: EmailConfig, routes: EmailRoute[], logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'email', logger })],
      providers: [
        { provide: EMAIL_CONFIG, useValue: config },
        { provide: IDEMPOTENCY_STORE, useFactory: () => createIdempotencyStore(config) },
        { provide: SmtpMailer, useFactory: () => new SmtpMailer(config) },
        {
          provide: EmailSink,
          useFactory: (mailer: SmtpMailer, store: IdempotencyStore, registry: Registry, log: AppLogger) =>
            new EmailSink(routes, mailer, store, config.EMAIL_FROM, registry, log),
          inject: [SmtpMailer, IDEMPOTENCY_STORE, Registry, APP_LOGGER],
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

  onApplicationShutdown(): void {
    this.mailer.close();
  }
}
