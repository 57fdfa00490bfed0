import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { redactConfig } from '@broker-events/config';
import { type AppLogger, HealthRegistry, NestPinoLogger, startTracing } from '@broker-events/observability';
import { AppModule } from './app.module';
import { type PollerConfig, pollerConfigSchema, resourceUrns } from './config/poller.config';

/** Starts the poller: the schedule plus health and metrics on one HTTP port. */
export async function startPoller(
  config: PollerConfig,
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  // Spans are exported every second; the last second's may be lost when the process stops.
  startTracing('poller', config);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logger),
    new FastifyAdapter({ logger: false, forceCloseConnections: 'idle', return503OnClosing: true }),
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  if (handleSignals) {
    app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
    const health = app.get(HealthRegistry);
    const onSignal = (): void => {
      health.markShuttingDown();
      setTimeout(() => {
        logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'graceful shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS).unref();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  await app.listen(config.PORT, config.HOST);
  logger.info(
    {
      config: redactConfig(pollerConfigSchema, config),
      resources: resourceUrns(config),
      // Since the process started (Node's own start-up included): what tools/images' bench reads.
      startupMs: Math.round(process.uptime() * 1000),
    },
    'poller started',
  );
  return app;
}
