/**
 * Subscriptions as code: `npm run subscriptions -- plan|ensure|list|delete [--file subscriptions.yaml]`.
 * Reads its Altinn credentials from the environment (never logged).
 */
import { runSubscriptionsCli } from './lib/run';

runSubscriptionsCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
