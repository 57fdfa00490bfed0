import {
  type ConfigOf,
  ConfigError,
  type EnvRecord,
  int,
  loadConfig,
  oneOf,
  optional,
  str,
  url,
} from '@broker-events/config';
import { type EventFilter, FilterError, compileFilter, filters } from '@broker-events/contracts';
import {
  idempotencyConfigSchema,
  kafkaConfigProblems,
  kafkaConfigSchema,
  pipelineConfigSchema,
} from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';

/** Every setting of the Slack consumer. docs/configuration.md's table is generated from (and tested against) it. */
export const slackConfigSchema = {
  ...kafkaConfigSchema,
  ...pipelineConfigSchema({ consumer: 'slack', startFrom: 'latest', port: 8082 }),
  ...idempotencyConfigSchema,
  SLACK_WEBHOOK_URL: optional(
    url({
      doc: 'Incoming-webhook URL (`https://hooks.slack.com/services/…`). Set this, or SLACK_BOT_TOKEN and SLACK_CHANNEL.',
      secret: true,
      protocols: ['https', 'http'],
    }),
  ),
  SLACK_BOT_TOKEN: optional(
    str({ doc: 'Bot token (`xoxb-…`) with `chat:write`, for chat.postMessage.', secret: true }),
  ),
  SLACK_CHANNEL: optional(
    str({
      doc: 'Channel ID (or name) for chat.postMessage; the bot must be a member.',
      pattern: /^[#A-Za-z0-9._-]{1,80}$/,
    }),
  ),
  SLACK_API_BASE_URL: url({
    doc: 'Slack Web API base URL (change only for a stand-in in tests).',
    default: 'https://slack.com/api',
    protocols: ['https', 'http'],
  }),
  SLACK_FILTER: str({
    doc: 'JSON EventFilter (contracts vocabulary: exact/prefix/suffix/all/any/not) choosing which events are posted. Default: every Broker event.',
    default: JSON.stringify(filters.broker()),
  }),
  SLACK_LANGUAGE: oneOf(['nb', 'en'] as const, { doc: 'Language of the messages.', default: 'nb' }),
  SLACK_MIN_INTERVAL_MS: int({
    doc: 'Least time between two messages to one channel (Slack allows about one per second).',
    default: 1000,
    min: 0,
  }),
  SLACK_TIMEOUT_MS: int({ doc: 'HTTP timeout per Slack request.', default: 10000, min: 100 }),
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

/** Where messages go: an incoming webhook (its channel is fixed) or chat.postMessage to a channel. */
export type SlackDestination =
  { kind: 'webhook'; url: string } | { kind: 'api'; baseUrl: string; token: string; channel: string };

export type SlackConfig = ConfigOf<typeof slackConfigSchema>;

export interface LoadedSlackConfig {
  config: SlackConfig;
  destination: SlackDestination;
  filter: EventFilter;
}

export function loadSlackConfig(env: EnvRecord): LoadedSlackConfig {
  const config = loadConfig('slack', slackConfigSchema, env);
  const problems = kafkaConfigProblems(config);
  let destination: SlackDestination | undefined;
  if (config.SLACK_WEBHOOK_URL && (config.SLACK_BOT_TOKEN || config.SLACK_CHANNEL)) {
    problems.push({
      variable: 'SLACK_WEBHOOK_URL',
      reason: 'set either SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN with SLACK_CHANNEL, not both',
    });
  } else if (config.SLACK_WEBHOOK_URL) {
    destination = { kind: 'webhook', url: config.SLACK_WEBHOOK_URL };
  } else if (config.SLACK_BOT_TOKEN && config.SLACK_CHANNEL) {
    destination = {
      kind: 'api',
      baseUrl: config.SLACK_API_BASE_URL,
      token: config.SLACK_BOT_TOKEN,
      channel: config.SLACK_CHANNEL,
    };
  } else if (config.SLACK_BOT_TOKEN) {
    problems.push({ variable: 'SLACK_CHANNEL', reason: 'is required with SLACK_BOT_TOKEN' });
  } else if (config.SLACK_CHANNEL) {
    problems.push({ variable: 'SLACK_BOT_TOKEN', reason: 'is required with SLACK_CHANNEL' });
  } else {
    problems.push({
      variable: 'SLACK_WEBHOOK_URL',
      reason: 'is required unless SLACK_BOT_TOKEN and SLACK_CHANNEL are set',
    });
  }
  let filter: EventFilter | undefined;
  try {
    filter = JSON.parse(config.SLACK_FILTER) as EventFilter;
    compileFilter(filter);
  } catch (error) {
    filter = undefined;
    problems.push({
      variable: 'SLACK_FILTER',
      reason:
        error instanceof FilterError
          ? error.message
          : `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    });
  }
  if (problems.length > 0 || !destination || !filter) throw new ConfigError('slack', problems);
  return { config, destination, filter };
}
