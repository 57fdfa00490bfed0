export * from './lib/logger';
export * from './lib/health';
export * from './lib/observability.module';
export * from './lib/observability.tokens';
export * from './lib/operator-port';
export * from './lib/tracing';
