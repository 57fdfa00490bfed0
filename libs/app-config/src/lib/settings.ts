import { list, optional, str, url } from '@broker-events/config';
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

/** The PostgreSQL schema a store keeps its tables in. */
export const postgresSchema = (doc: string, schema: string) =>
  str({ doc, default: schema, pattern: PG_IDENTIFIER });
