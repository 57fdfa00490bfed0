import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startSlack } from './app/bootstrap';
import { loadSlackConfig } from './app/config/slack.config';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadSlackConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startSlack(loaded, createLogger('slack', loaded.config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(`slack failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
