import 'reflect-metadata';
import { type RequestListener, createServer } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AppLogger,
  HealthRegistry,
  NestPinoLogger,
  moveOperatorPaths,
  startTracing,
} from '@broker-events/observability';
import { redactConfig } from '@broker-events/config';
import { AppModule } from './app.module';
import { type GatewayConfig, gatewayConfigSchema } from './config/gateway.config';
import { DEDUP_STORE } from './gateway.tokens';
import type { DedupStore } from './webhook/dedup.store';
import { WebhookHttp } from './webhook/webhook-http.plugin';

/** proxy-addr's trust function for "the nearest `hops` addresses are our proxies". */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** Builds the gateway application (not yet listening). */
export async function createGateway(
  config: GatewayConfig,
  logger: AppLogger,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A hop count, as a function: Fastify 5.12 treats a bare number as "trust nothing" (it cannot check the
    // peer). Hop `i` counts from the socket address, so `i < hops` trusts exactly our own proxies.
    trustProxy: config.TRUSTED_PROXY_HOPS > 0 ? trustHops(config.TRUSTED_PROXY_HOPS) : false,
    logger: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
    // Node checks request deadlines every connectionsCheckingInterval (30 s by default): check every second
    // so a slow client is answered 408 close to REQUEST_TIMEOUT_MS.
    serverFactory: (handler: RequestListener) =>
      createServer(
        {
          requestTimeout: config.REQUEST_TIMEOUT_MS,
          headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 60_000),
          connectionsCheckingInterval: 1000,
        },
        handler,
      ),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  app.get(WebhookHttp).register(app.getHttpAdapter().getInstance());
  return app;
}

/** Starts listening and logs the (redacted) configuration. */
export async function startGateway(
  config: GatewayConfig,
  logger: AppLogger,
): Promise<NestFastifyApplication> {
  const tracing = startTracing('gateway', config);
  const app = await createGateway(config, logger);
  // With METRICS_PORT, PORT serves the webhook alone (404 for /health and /metrics): what the Ingress routes.
  const operators =
    config.METRICS_PORT === undefined
      ? undefined
      : moveOperatorPaths(app.getHttpAdapter().getInstance(), config.METRICS_PORT, config.HOST);
  const dedup = app.get<DedupStore>(DEDUP_STORE);
  const health = app.get(HealthRegistry);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and Kafka writes');
    health.markShuttingDown();
    // In-flight requests and publishes get the grace period; then the process goes regardless.
    setTimeout(() => {
      logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS).unref();
    // app.close() stops the HTTP server (waiting for in-flight requests), then runs the shutdown hooks
    // that flush and disconnect the Kafka producer.
    app.close().then(
      async () => {
        await tracing.shutdown().catch(() => undefined);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: String(error) }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await app.listen(config.PORT, config.HOST);
  await operators?.listen();
  logger.info(
    {
      config: redactConfig(gatewayConfigSchema, config),
      dedup: dedup.kind,
      port: config.PORT,
      metricsPort: config.METRICS_PORT ?? config.PORT,
      // Since the process started (Node's own start-up included): what tools/images' bench reads.
      startupMs: Math.round(process.uptime() * 1000),
    },
    'gateway listening',
  );
  return app;
}
