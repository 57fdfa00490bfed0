import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startPoller } from './app/bootstrap';
import { loadPollerConfig } from './app/config/poller.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadPollerConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startPoller(config, createLogger('poller', config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(`poller failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
