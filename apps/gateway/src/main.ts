import { ConfigError } from '@broker-events/config';
import { checkKafkaAccess } from '@broker-events/messaging';
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
  // A wrong password or an untrusted broker certificate stops the start (ConfigError naming the setting);
  // a broker that is merely down does not: the gateway starts not-ready and answers 503 until Kafka is back.
  const access = await checkKafkaAccess(config, 'gateway', config.KAFKA_CLIENT_ID);
  if (!access.reachable) logger.warn({ errors: access.errors }, 'Kafka not reachable at start-up');
  await startGateway(config, logger);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // Settings that Kafka refused at start-up (a wrong password, an untrusted certificate).
    process.stderr.write(error.message + '\n');
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
