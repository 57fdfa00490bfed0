import 'reflect-metadata';
import { redactConfig } from '@broker-events/config';
import { startConsumerApp } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type FileFetcherConfig, fileFetcherConfigSchema } from './config/file-fetcher.config';
import { OUTCOME_STORE } from './file-fetcher.tokens';
import type { OutcomeStore } from './outcomes/outcome-store';

/** Starts the file fetcher: pipeline + reconciliation + outcome API + health and metrics on one HTTP port. */
export async function startFileFetcher(
  config: FileFetcherConfig,
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  const app = await startConsumerApp({
    module: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals,
    readiness: (a) => {
      const store = a.get<OutcomeStore>(OUTCOME_STORE);
      return { 'outcome-store': () => store.ping() };
    },
  });
  logger.info({ config: redactConfig(fileFetcherConfigSchema, config) }, 'file-fetcher configuration');
  return app;
}
