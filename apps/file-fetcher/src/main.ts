import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startFileFetcher } from './app/bootstrap';
import { loadFileFetcherConfig } from './app/config/file-fetcher.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadFileFetcherConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startFileFetcher(config, createLogger('file-fetcher', config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `file-fetcher failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
