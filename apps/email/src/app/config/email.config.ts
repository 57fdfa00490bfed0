/** The email consumer's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export {
  type EmailConfig,
  type EmailRoute,
  emailConfigSchema,
  loadEmailConfig,
} from '@broker-events/app-config';

export const EMAIL_CONFIG = Symbol('EMAIL_CONFIG');
export const EMAIL_ROUTES = Symbol('EMAIL_ROUTES');
