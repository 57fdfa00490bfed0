/** Adds an internal subscriber (a team with its own read-only Kafka access): see src/lib/run.ts. */
import { runSubscriberCli } from './lib/run';

process.exitCode = runSubscriberCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
