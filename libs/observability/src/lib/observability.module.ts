import { Controller, DynamicModule, Get, Global, Header, HttpCode, Module, Res } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { HealthRegistry } from './health';
import { type AppLogger } from './logger';
import { APP_LOGGER } from './observability.tokens';

/** Minimal reply surface shared by Express and Fastify, enough to set a status code. */
interface StatusReply {
  status(code: number): unknown;
}

@Controller()
class OperationsController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly registry: Registry,
  ) {}

  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<{ status: string; checks: Record<string, boolean> }> {
    const { ready, checks, notes } = await this.health.readiness();
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks, ...(notes ? { notes } : {}) };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface ObservabilityOptions {
  service: string;
  logger: AppLogger;
  /** Collect Node.js process metrics (default true). */
  defaultMetrics?: boolean;
}

/**
 * Health endpoints (/health/live, /health/ready), Prometheus metrics (/metrics) and the JSON logger,
 * shared by every app. Each app gets its own prom-client Registry so tests can run apps side by side.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const registry = new Registry();
    registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
    return {
      module: ObservabilityModule,
      controllers: [OperationsController],
      providers: [
        { provide: Registry, useValue: registry },
        { provide: HealthRegistry, useValue: new HealthRegistry() },
        { provide: APP_LOGGER, useValue: options.logger },
      ],
      exports: [Registry, HealthRegistry, APP_LOGGER],
    };
  }
}
