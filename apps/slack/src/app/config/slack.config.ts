/** The Slack consumer's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export { type LoadedSlackConfig, loadSlackConfig, slackConfigSchema } from '@broker-events/app-config';

export const SLACK_CONFIG = Symbol('SLACK_CONFIG');
