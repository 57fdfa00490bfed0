import { readFileSync } from 'node:fs';
import {
  type AltinnEnvironmentName,
  type SubscriptionRequest,
  SubscriptionFilterError,
  brokerSubscriptions,
} from '@broker-events/contracts';
import { parse as parseYaml } from 'yaml';

/**
 * The declarative subscriptions file (YAML or JSON):
 *
 * ```yaml
 * environment: tt02                     # tt02 | production
 * organisationNumber: "312000008"       # default for every entry
 * endPoint: https://events.example.no/altinn/events/${WEBHOOK_TOKEN}
 * validationGraceMinutes: 10            # warn when still unvalidated this long after creation
 * subscriptions:
 *   - resource: altinn-broker-test-resource-1
 *     types: [no.altinn.broker.published]   # one subscription per type; leave out for every type
 * ```
 *
 * `${NAME}` in string values is replaced from the environment, so the webhook's secret path token stays out of
 * the file.
 */
export interface SubscriptionsFile {
  environment: AltinnEnvironmentName;
  validationGraceMinutes: number;
  entries: SubscriptionEntry[];
  /** Every request the file asks for, in order, duplicates removed. */
  requests: SubscriptionRequest[];
}

export interface SubscriptionEntry {
  resource: string;
  organisationNumber: string;
  endPoint: string;
  types?: string[];
  allowSyntheticOrganisationNumber: boolean;
}

export class SpecFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecFileError';
  }
}

const TOP_KEYS = [
  'environment',
  'organisationNumber',
  'endPoint',
  'allowSyntheticOrganisationNumber',
  'validationGraceMinutes',
  'subscriptions',
];
const ENTRY_KEYS = [
  'resource',
  'organisationNumber',
  'endPoint',
  'types',
  'allowSyntheticOrganisationNumber',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `${NAME}` → env value; an unset variable is a problem, not an empty string. */
function substitute(
  value: string,
  env: Record<string, string | undefined>,
  path: string,
  problems: string[],
): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') {
      problems.push(`${path}: uses \${${name}}, which is not set in the environment`);
      return '';
    }
    return v;
  });
}

export function requestKey(r: SubscriptionRequest): string {
  return JSON.stringify([
    r.endPoint,
    r.resourceFilter ?? null,
    r.subjectFilter ?? null,
    r.typeFilter ?? null,
    r.includeSubunits ?? false,
  ]);
}

/** Parses and validates the file text; every problem is listed (with its path), not just the first. */
export function parseSubscriptionsFile(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
): SubscriptionsFile {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new SpecFileError(file, [
      `is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  const problems: string[] = [];
  if (!isRecord(doc))
    throw new SpecFileError(file, ['must be a mapping with `environment` and `subscriptions`']);
  for (const key of Object.keys(doc))
    if (!TOP_KEYS.includes(key)) problems.push(`${key}: unknown key (use ${TOP_KEYS.join(', ')})`);

  const environment = doc['environment'];
  if (environment !== 'tt02' && environment !== 'production')
    problems.push('environment: must be tt02 or production');
  const grace = doc['validationGraceMinutes'] ?? 10;
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0)
    problems.push('validationGraceMinutes: must be a number of minutes ≥ 0');

  const text_ = (value: unknown, path: string, required: boolean): string | undefined => {
    if (value === undefined || value === null) {
      if (required) problems.push(`${path}: is required`);
      return undefined;
    }
    if (typeof value === 'number' && Number.isInteger(value)) value = String(value);
    if (typeof value !== 'string') {
      problems.push(`${path}: must be a string`);
      return undefined;
    }
    return substitute(value, env, path, problems);
  };
  const defaultOrg = text_(doc['organisationNumber'], 'organisationNumber', false);
  const defaultEndPoint = text_(doc['endPoint'], 'endPoint', false);
  const defaultSynthetic = doc['allowSyntheticOrganisationNumber'] === true;

  const list = doc['subscriptions'];
  const entries: SubscriptionEntry[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    problems.push('subscriptions: must be a non-empty list');
  } else {
    list.forEach((raw: unknown, i) => {
      const path = `subscriptions[${i}]`;
      if (!isRecord(raw)) {
        problems.push(`${path}: must be a mapping with at least \`resource\``);
        return;
      }
      for (const key of Object.keys(raw))
        if (!ENTRY_KEYS.includes(key))
          problems.push(`${path}.${key}: unknown key (use ${ENTRY_KEYS.join(', ')})`);
      const resource = text_(raw['resource'], `${path}.resource`, true);
      const organisationNumber =
        text_(raw['organisationNumber'], `${path}.organisationNumber`, false) ?? defaultOrg;
      const endPoint = text_(raw['endPoint'], `${path}.endPoint`, false) ?? defaultEndPoint;
      if (organisationNumber === undefined)
        problems.push(`${path}.organisationNumber: is required (here or at the top)`);
      if (endPoint === undefined) problems.push(`${path}.endPoint: is required (here or at the top)`);
      const types = raw['types'];
      if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string'))) {
        problems.push(`${path}.types: must be a list of event types`);
      }
      if (resource !== undefined && organisationNumber !== undefined && endPoint !== undefined) {
        entries.push({
          resource,
          organisationNumber,
          endPoint,
          types: Array.isArray(types) ? (types as string[]) : undefined,
          allowSyntheticOrganisationNumber:
            typeof raw['allowSyntheticOrganisationNumber'] === 'boolean'
              ? raw['allowSyntheticOrganisationNumber']
              : defaultSynthetic,
        });
      }
    });
  }
  if (problems.length > 0) throw new SpecFileError(file, problems);

  const requests: SubscriptionRequest[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    try {
      for (const request of brokerSubscriptions({
        environment: environment as AltinnEnvironmentName,
        resourceId: entry.resource,
        organisationNumber: entry.organisationNumber,
        endPoint: entry.endPoint,
        types: entry.types,
        allowSyntheticOrganisationNumber: entry.allowSyntheticOrganisationNumber,
      })) {
        const key = requestKey(request);
        if (seen.has(key)) {
          problems.push(
            `subscriptions[${i}]: ${request.typeFilter ?? 'every type'} on ${request.resourceFilter} is already listed`,
          );
        } else {
          seen.add(key);
          requests.push(request);
        }
      }
    } catch (error) {
      if (!(error instanceof SubscriptionFilterError)) throw error;
      // Never print the endpoint (it carries the secret path token).
      for (const p of error.problems)
        problems.push(`subscriptions[${i}].${p.path}: ${redactSecrets(p.reason, entry.endPoint)}`);
    }
  });
  if (problems.length > 0) throw new SpecFileError(file, problems);
  return {
    environment: environment as AltinnEnvironmentName,
    validationGraceMinutes: grace as number,
    entries,
    requests,
  };
}

export function readSubscriptionsFile(
  file: string,
  env: Record<string, string | undefined>,
): SubscriptionsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecFileError(file, [
      `cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  return parseSubscriptionsFile(text, file, env);
}

/**
 * The endpoint with its path and query hidden past the first segment, for output: the path carries the
 * webhook's secret token, and `GET /subscriptions` gives it back in clear.
 */
export function redactEndpoint(endPoint: string): string {
  try {
    const url = new URL(endPoint);
    const segments = url.pathname.split('/').filter(Boolean);
    const shown =
      segments.length > 1 ? `/${segments.slice(0, -1).join('/')}/***` : segments.length === 1 ? '/***' : '/';
    return `${url.protocol}//${url.host}${shown}${url.search ? '?***' : ''}`;
  } catch {
    return '***';
  }
}

function redactSecrets(text: string, endPoint: string): string {
  return endPoint.length > 0 ? text.split(endPoint).join(redactEndpoint(endPoint)) : text;
}
