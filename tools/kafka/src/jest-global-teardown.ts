/** Jest globalTeardown: undoes jest-global-setup.ts (stops the broker only if a test run started it). */
import { SETUP_STATE, SetupState } from './jest-state';
import { releaseShared } from './shared';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as Record<symbol, unknown>;
  const state = holder[SETUP_STATE] as SetupState | undefined;
  if (state === undefined) return; // KAFKA_BROKERS was given: we started nothing.
  delete holder[SETUP_STATE];
  try {
    await releaseShared(state.opts);
  } finally {
    delete process.env['KAFKA_BROKERS'];
  }
}
