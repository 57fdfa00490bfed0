import { LocalKafkaOptions } from './options';

/** Handed from the jest global setup to the teardown (both run in jest's main process). */
export const SETUP_STATE = Symbol.for('@broker-events/kafka-local/jest-global-setup');

export interface SetupState {
  opts: LocalKafkaOptions;
  startedByUs: boolean;
}
