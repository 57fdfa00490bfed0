import { type ConfigProblem, int, list, optional, str, url } from '@broker-events/config';
import { type AltinnConfig, altinnSettingsProblems } from '@broker-events/altinn-client';
import { type KafkaConnectionConfig, kafkaConfigProblems } from '@broker-events/messaging';
import { RESOURCE_URN_PREFIX } from '@broker-events/contracts';
import { PG_IDENTIFIER } from '@broker-events/postgres';

/** Settings several apps declare alike; each app still names its own variables and says what they are for. */

const RESOURCE_ID = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** A comma-separated list of Broker resources, as ids or `urn:altinn:resource:` URNs; at least one. */
export const brokerResources = (doc: string) =>
  list({
    doc,
    minItems: 1,
    item: (v) => {
      const id = v.startsWith(RESOURCE_URN_PREFIX) ? v.slice(RESOURCE_URN_PREFIX.length) : v;
      return RESOURCE_ID.test(id) ? undefined : `"${v}" is not a lowercase Altinn resource id`;
    },
  });

/** An optional PostgreSQL URL (a secret); unset, the app's store uses its SQLite file. */
export const postgresUrl = (doc: string) =>
  optional(url({ doc, secret: true, protocols: ['postgres', 'postgresql'] }));

/**
 * A second port for the health probes and metrics alone (`moveOperatorPaths` in @broker-events/observability);
 * `mainPort` says what PORT then serves.
 */
export const metricsPort = (mainPort: string) =>
  optional(
    int({
      doc: `A second port for /health/live, /health/ready and /metrics alone; PORT then answers only ${mainPort} (404 for those paths), so what an Ingress routes to PORT cannot reach them. Unset: all on PORT.`,
      min: 1,
      max: 65535,
    }),
  );

/** METRICS_PORT's problem: it must be another port than PORT. */
export function metricsPortProblems(config: { PORT: number; METRICS_PORT?: number }): ConfigProblem[] {
  return config.METRICS_PORT !== undefined && config.METRICS_PORT === config.PORT
    ? [
        {
          variable: 'METRICS_PORT',
          reason: 'must differ from PORT (leave it unset to serve everything on PORT)',
        },
      ]
    : [];
}

/** The PostgreSQL schema a store keeps its tables in. */
export const postgresSchema = (doc: string, schema: string) =>
  str({ doc, default: schema, pattern: PG_IDENTIFIER });

/**
 * The cross-variable problems of an app that reads Altinn for one organisation and writes to Kafka (the poller,
 * the file fetcher): Kafka's, Altinn's, and the organisation number's mod-11 check against production.
 */
export function altinnAppProblems<V extends string>(
  config: KafkaConnectionConfig & AltinnConfig & { readonly [K in V]?: string },
  organisationVariable: V,
): ConfigProblem[] {
  return [...kafkaConfigProblems(config), ...altinnSettingsProblems(config, organisationVariable)];
}
