import { ConfigError } from '@broker-events/config';
import { exitOnKafkaAccessProblem, watchKafkaAccess } from '@broker-events/messaging';
import { createLogger } from '@broker-events/observability';
import { startGateway } from './app/bootstrap';
import { loadGatewayConfig } from './app/config/gateway.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger('gateway', config.LOG_LEVEL);
  // A wrong password or an untrusted broker certificate ends the process with exit 78 naming the setting
  // (checked in the background until Kafka first answers); a broker that is merely down does not.
  watchKafkaAccess(config, 'gateway', config.KAFKA_CLIENT_ID, exitOnKafkaAccessProblem);
  await startGateway(config, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
