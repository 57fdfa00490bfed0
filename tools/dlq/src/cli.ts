/**
 * Dead-letter operator command: `npm run dlq -- list|inspect|redrive --consumer <name> …` (see --help).
 * Reads its Kafka settings from the environment.
 */
import { runDlqCli } from './lib/run';

runDlqCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dlq: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
