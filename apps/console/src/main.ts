import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startConsole } from './app/bootstrap';
import { loadConsoleConfig } from './app/config/console.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConsoleConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startConsole(config, createLogger('console', config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(`console failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
