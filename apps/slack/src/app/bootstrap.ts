import 'reflect-metadata';
import { redactConfig } from '@broker-events/config';
import { type IdempotencyStore, startConsumerApp } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type LoadedSlackConfig, slackConfigSchema } from './config/slack.config';
import { IDEMPOTENCY_STORE } from './slack.tokens';

/** Starts the Slack consumer: pipeline + health and metrics on one HTTP port. */
export async function startSlack(
  loaded: LoadedSlackConfig,
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  const app = await startConsumerApp({
    module: AppModule.forRoot(loaded, logger),
    config: loaded.config,
    logger,
    handleSignals,
    readiness: (a) => {
      const store = a.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      return { 'idempotency-store': () => store.ping() };
    },
  });
  logger.info(
    { config: redactConfig(slackConfigSchema, loaded.config), mode: loaded.destination.kind },
    'slack configuration',
  );
  return app;
}
