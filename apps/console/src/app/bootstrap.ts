import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { redactConfig } from '@broker-events/config';
import {
  type AppLogger,
  HealthRegistry,
  NestPinoLogger,
  moveOperatorPaths,
} from '@broker-events/observability';
import { AppModule } from './app.module';
import { type ConsoleConfig, consoleConfigSchema } from './config/console.config';

/** Headers on every answer: no framing, no sniffing, scripts and styles from the console only. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** Starts the console: pages, login and live feed; health and metrics on the same port, or on METRICS_PORT. */
export async function startConsole(
  config: ConsoleConfig,
  logger: AppLogger,
  handleSignals = true,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    logger: false,
    forceCloseConnections: true,
    return503OnClosing: true,
    bodyLimit: 256 * 1024,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  await app.register(fastifyCookie);
  // Form posts (application/x-www-form-urlencoded) are parsed by Nest's Fastify adapter itself.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (_req, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        if (!reply.hasHeader(name)) reply.header(name, value);
      if (config.CONSOLE_PUBLIC_URL.startsWith('https:'))
        reply.header('strict-transport-security', 'max-age=31536000');
    });
  // With METRICS_PORT, PORT serves the pages alone (404 for /health and /metrics): all the Ingress routes.
  const operators =
    config.METRICS_PORT === undefined
      ? undefined
      : moveOperatorPaths(app.getHttpAdapter().getInstance(), config.METRICS_PORT, config.HOST);
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
  await operators?.listen();
  logger.info(
    {
      config: redactConfig(consoleConfigSchema, config),
      url: config.CONSOLE_PUBLIC_URL,
      metricsPort: config.METRICS_PORT ?? config.PORT,
    },
    'console started',
  );
  return app;
}
