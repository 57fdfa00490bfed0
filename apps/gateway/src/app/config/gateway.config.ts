/** The gateway's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export { type GatewayConfig, gatewayConfigSchema, loadGatewayConfig } from '@broker-events/app-config';

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
