import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startArchive } from './app/bootstrap';
import { loadArchiveConfig } from './app/config/archive.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadArchiveConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startArchive(config, createLogger('archive', config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(`archive failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
