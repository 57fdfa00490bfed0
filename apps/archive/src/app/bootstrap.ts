import 'reflect-metadata';
import { redactConfig } from '@broker-events/config';
import { startConsumerApp } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ArchiveDeliveriesConsumer } from './archive-deliveries.consumer';
import { ARCHIVE_STORE } from './archive.tokens';
import { type ArchiveConfig, archiveConfigSchema } from './config/archive.config';
import type { ArchiveStore } from './store/archive-store';

/** Starts the archive consumer: pipeline + read API + health and metrics on one HTTP port. */
export async function startArchive(
  config: ArchiveConfig,
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  const app = await startConsumerApp({
    module: AppModule.forRoot(config, logger),
    config,
    logger,
    handleSignals,
    readiness: (a) => {
      const store = a.get<ArchiveStore>(ARCHIVE_STORE);
      const deliveries = a.get(ArchiveDeliveriesConsumer);
      return { database: () => store.ping(), 'deliveries-consumer': () => deliveries.isReady() };
    },
  });
  logger.info({ config: redactConfig(archiveConfigSchema, config) }, 'archive configuration');
  return app;
}
