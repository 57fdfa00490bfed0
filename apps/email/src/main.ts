import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { startEmail } from './app/bootstrap';
import { loadEmailConfig } from './app/config/email.config';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadEmailConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await startEmail(loaded.config, loaded.routes, createLogger('email', loaded.config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(`email failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
