/** The poller's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export {
  POLLER_SCOPES,
  type PollerConfig,
  loadPollerConfig,
  pollerConfigSchema,
  resourceUrns,
} from '@broker-events/app-config';

export const POLLER_CONFIG = Symbol('POLLER_CONFIG');
