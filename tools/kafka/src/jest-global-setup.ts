/**
 * Jest globalSetup: gives the test run a Kafka broker.
 * - KAFKA_BROKERS set (CI service, `cli.ts exec`, a broker of your own): nothing is started.
 * - Otherwise the local broker on KAFKA_LOCAL_PORT (default 19092) is started or reused, and
 *   process.env.KAFKA_BROKERS is set before jest forks its workers, so every test file sees it.
 * The teardown stops the broker only if a test run started it (see shared.ts for parallel runs).
 */
import { externalBrokers, optionsFromEnv } from './options';
import { acquireShared } from './shared';
import { SETUP_STATE, SetupState } from './jest-state';

export default async function globalSetup(): Promise<void> {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
  if (externalBrokers() !== undefined) return;
  const opts = optionsFromEnv();
  const running = await acquireShared(opts);
  process.env['KAFKA_BROKERS'] = running.brokers;
  const state: SetupState = { opts, startedByUs: running.startedByUs };
  (globalThis as Record<symbol, unknown>)[SETUP_STATE] = state;
}
