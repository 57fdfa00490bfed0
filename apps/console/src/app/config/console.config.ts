/** The console's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export { type ConsoleConfig, consoleConfigSchema, loadConsoleConfig } from '@broker-events/app-config';

export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
