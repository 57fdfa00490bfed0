/**
 * npx tsx --tsconfig tsconfig.base.json examples/internal-consumer/src/main.ts
 *
 * KAFKA_BROKERS (default 127.0.0.1:19092), GROUP_ID (default team-x-published-notifier),
 * EVENT_TYPES (comma separated, default no.altinn.broker.published), ROLES (default Recipient).
 */
import { startInternalConsumer } from './internal-consumer';

const list = (value: string | undefined, fallback: string): string[] =>
  (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

async function main(): Promise<void> {
  const groupId = process.env['GROUP_ID'] ?? 'team-x-published-notifier';
  const consumer = await startInternalConsumer({
    brokers: list(process.env['KAFKA_BROKERS'], '127.0.0.1:19092'),
    groupId,
    types: list(process.env['EVENT_TYPES'], 'no.altinn.broker.published'),
    roles: list(process.env['ROLES'], 'Recipient'),
    onEvent: (event) => {
      process.stdout.write(
        `${event.type} ${event.role ?? '-'} file transfer ${event.fileTransferId} (event ${event.id})\n`,
      );
    },
  });
  process.stdout.write(`consuming as group ${groupId}; Ctrl-C to stop\n`);
  const stop = (): void => {
    consumer.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `internal consumer failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
