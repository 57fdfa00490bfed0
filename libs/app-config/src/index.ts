/**
 * Each deployable app's configuration: its schema (every variable, documented), its loader (the schema plus
 * the checks across variables) and the helpers derived from it. One file per app, `lib/<app>.config.ts`.
 *
 * The apps load their config from here, and so do the tools that check deployments against it (deploy-check)
 * and docs/configuration.md's generated tables: apps are never imported, so what tools need of an app lives
 * in this library. It holds no Nest providers or DI tokens; each app declares its own.
 */
export * from './lib/archive.config';
export * from './lib/console.config';
export * from './lib/email.config';
export * from './lib/file-fetcher.config';
export * from './lib/gateway.config';
export * from './lib/poller.config';
export * from './lib/slack.config';
