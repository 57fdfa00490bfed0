import {
  type ConfigOf,
  ConfigError,
  type EnvRecord,
  bool,
  int,
  loadConfig,
  oneOf,
  optional,
  str,
} from '@broker-events/config';
import {
  type CompiledRoute,
  RouteConfigError,
  compileRoutes,
  idempotencyConfigSchema,
  kafkaConfigProblems,
  kafkaConfigSchema,
  pipelineConfigSchema,
} from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';

/** A language the email templates are written in. */
export type EmailLanguage = 'nb' | 'en';

export const LANGUAGE_CHOICES = ['nb', 'en', 'nb+en'] as const;
export type LanguageChoice = (typeof LANGUAGE_CHOICES)[number];

/** Every setting of the email consumer. docs/configuration.md's table is generated from (and tested against) it. */
export const emailConfigSchema = {
  ...kafkaConfigSchema,
  // Most events are not mailed (no rule matches, or they go to a summary), and each still waits for its delivery
  // report's acknowledgement: with one record at a time the consumer drained a backlog at 1.7x the arrival rate,
  // with 32 at 5x (bench/results/catch-up.md). SMTP is bounded on its own by SMTP_POOL_MAX_CONNECTIONS, and one
  // file transfer's events still go one after another.
  ...pipelineConfigSchema({
    consumer: 'email',
    startFrom: 'latest',
    port: 8081,
    concurrency: 32,
    partitionsConcurrently: 6,
  }),
  ...idempotencyConfigSchema,
  SMTP_HOST: str({ doc: 'SMTP server host.' }),
  SMTP_PORT: int({
    doc: 'SMTP server port (587 submission with STARTTLS, 465 implicit TLS).',
    default: 587,
    min: 1,
    max: 65535,
  }),
  SMTP_SECURE: bool({
    doc: 'Implicit TLS from the first byte (port 465). Otherwise see SMTP_STARTTLS.',
    default: false,
  }),
  SMTP_STARTTLS: oneOf(['required', 'opportunistic', 'never'] as const, {
    doc: 'STARTTLS when not SMTP_SECURE: `required` fails without it, `opportunistic` uses it when offered, `never` for local test servers only.',
    default: 'required',
  }),
  SMTP_TLS_REJECT_UNAUTHORIZED: bool({ doc: 'Verify the server certificate.', default: true }),
  SMTP_USER: optional(str({ doc: 'SMTP user name; unset means no authentication.' })),
  SMTP_PASSWORD: optional(str({ doc: 'SMTP password.', secret: true })),
  SMTP_POOL_MAX_CONNECTIONS: int({ doc: 'Pooled SMTP connections.', default: 3, min: 1, max: 50 }),
  SMTP_POOL_MAX_MESSAGES: int({
    doc: 'Messages per pooled connection before it is renewed.',
    default: 100,
    min: 1,
  }),
  SMTP_TIMEOUT_MS: int({ doc: 'Connection, greeting and socket timeout.', default: 30000, min: 100 }),
  EMAIL_FROM: str({
    doc: 'From address, e.g. `"Altinn Formidling" <noreply@example.no>`.',
    pattern: /^[^\r\n]*@[^\r\n]*$/,
  }),
  EMAIL_ROUTES: str({
    doc: 'JSON array of routing rules: `[{"name":"…","types":["no.altinn.broker.published"],"resources":["my-resource"],"roles":["Recipient"],"organisations":["312000008"],"when":{…EventFilter…},"to":["ops@example.no"],"language":"nb+en"}]`. Every match field is optional; a rule matches when all given fields match. An event goes to the union of the addresses of every rule it matches.',
  }),
  EMAIL_DEFAULT_LANGUAGE: oneOf(LANGUAGE_CHOICES, {
    doc: 'Language of rules without `language`: `nb`, `en` or `nb+en` (both in one mail).',
    default: 'nb',
  }),
  EMAIL_SUMMARY_AFTER_SECONDS: int({
    doc: 'Events older than this when read (a catch-up after an outage) are not mailed one by one but listed in one summary mail per address; 0 = off. Off unless set, so a consumer never changes how it mails without being told to; the Kubernetes base sets 3600.',
    default: 0,
    min: 0,
  }),
  EMAIL_SUMMARY_QUIET_SECONDS: int({
    doc: 'An address’s summary is sent once no old event was added for it for this long (the backlog drained).',
    default: 30,
    min: 1,
  }),
  EMAIL_SUMMARY_MAX_WAIT_SECONDS: int({
    doc: '…or once its oldest listed event waited this long, while the backlog keeps coming.',
    default: 900,
    min: 1,
  }),
  EMAIL_SUMMARY_MAX_LISTED: int({
    doc: 'Events a summary mail lists one per line (the oldest); it counts the rest per event type. A catch-up can put hundreds of thousands of events in one summary, and a mail listing them all would be tens of MB: above what mail servers accept (often 10–35 MB) and the consumer’s memory limit.',
    default: 1000,
    min: 1,
    max: 100000,
  }),
  EMAIL_SUMMARY_SQLITE_PATH: str({
    doc: 'SQLite file for events waiting for their summary when no IDEMPOTENCY_DATABASE_URL is set (with it: table `<IDEMPOTENCY_DB_SCHEMA>.email_summary_pending`).',
    default: './data/email-summaries.sqlite',
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

export type EmailConfig = ConfigOf<typeof emailConfigSchema>;

export interface EmailTarget {
  to: string[];
  languages: EmailLanguage[];
}

export type EmailRoute = CompiledRoute<EmailTarget>;

/** A pragmatic address check: one @, no spaces, controls, commas or angle brackets (no display names). */
const ADDRESS = /^[^\s@<>,;"()\\[\]:]+@[^\s@<>,;"()\\[\]:]+\.[^\s@<>,;"()\\[\]:]+$/;

export function compileEmailRoutes(json: string, defaultLanguage: LanguageChoice): EmailRoute[] {
  return compileRoutes<EmailTarget>(
    json,
    (rule, at, problems) => {
      const to = rule['to'];
      if (!Array.isArray(to) || to.length === 0) {
        problems.push(`${at}.to must be a non-empty array of email addresses`);
        return undefined;
      }
      const bad = to.filter((a) => typeof a !== 'string' || !ADDRESS.test(a));
      if (bad.length > 0)
        problems.push(`${at}.to has invalid addresses: ${bad.map((a) => JSON.stringify(a)).join(', ')}`);
      const language = rule['language'] ?? defaultLanguage;
      if (!(LANGUAGE_CHOICES as readonly unknown[]).includes(language)) {
        problems.push(`${at}.language must be one of ${LANGUAGE_CHOICES.join(', ')}`);
        return undefined;
      }
      if (bad.length > 0) return undefined;
      return {
        to: (to as string[]).map((a) => a.toLowerCase()),
        languages: (language as LanguageChoice).split('+') as EmailLanguage[],
      };
    },
    ['to', 'language'],
  );
}

export function loadEmailConfig(env: EnvRecord): { config: EmailConfig; routes: EmailRoute[] } {
  const config = loadConfig('email', emailConfigSchema, env);
  const problems = kafkaConfigProblems(config);
  if (config.SMTP_USER && !config.SMTP_PASSWORD)
    problems.push({ variable: 'SMTP_PASSWORD', reason: 'is required with SMTP_USER' });
  let routes: EmailRoute[] = [];
  try {
    routes = compileEmailRoutes(config.EMAIL_ROUTES, config.EMAIL_DEFAULT_LANGUAGE);
  } catch (error) {
    if (!(error instanceof RouteConfigError)) throw error;
    for (const reason of error.problems) problems.push({ variable: 'EMAIL_ROUTES', reason });
  }
  if (problems.length > 0) throw new ConfigError('email', problems);
  return { config, routes };
}
