import 'reflect-metadata';
import { redactConfig } from '@broker-events/config';
import { type IdempotencyStore, startConsumerApp } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type EmailConfig, type EmailRoute, emailConfigSchema } from './config/email.config';
import { IDEMPOTENCY_STORE } from './email.tokens';

/** Starts the email consumer: pipeline + health and metrics on one HTTP port. */
export async function startEmail(
  config: EmailConfig,
  routes: EmailRoute[],
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  const app = await startConsumerApp({
    module: AppModule.forRoot(config, routes, logger),
    config,
    logger,
    handleSignals,
    readiness: (a) => {
      const store = a.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      return { 'idempotency-store': () => store.ping() };
    },
  });
  logger.info(
    {
      config: redactConfig(emailConfigSchema, config),
      routes: routes.map((r) => ({ name: r.name, to: r.target.to.length })),
    },
    'email configuration',
  );
  return app;
}
