/**
 * Builders for Altinn Events subscription requests (POST {eventsApi}/subscriptions), with the rules Altinn
 * Events applies today checked up front, so a bad subscription fails at our start-up with every
 * problem listed instead of as a 400, or worse, as a subscription that silently never matches.
 */
import { BROKER_TYPE_PREFIX, BrokerEventType, eventTypeInfo, isBrokerEventType } from './event-types';
import { ALTINN_URN_PATTERN, ORGANISATION_URN_PREFIX, RESOURCE_URN_PREFIX } from './formats';
import { isValidOrganisationNumber } from './org-number';
import { Violation, describe, formatViolations, quote } from './violation';

/** Body of POST /events/api/v1/subscriptions (Altinn's SubscriptionRequestModel). */
export interface SubscriptionRequest {
  endPoint: string;
  resourceFilter?: string;
  subjectFilter?: string;
  typeFilter?: string;
  sourceFilter?: string;
  alternativeSubjectFilter?: string;
  includeSubunits?: boolean;
}

export const ALTINN_ENVIRONMENTS = {
  tt02: {
    name: 'tt02',
    platformBaseUrl: 'https://platform.tt02.altinn.no',
    eventsApi: 'https://platform.tt02.altinn.no/events/api/v1',
    /** POST subscription requests here. */
    subscriptionsUrl: 'https://platform.tt02.altinn.no/events/api/v1/subscriptions',
    brokerApi: 'https://platform.tt02.altinn.no/broker/api/v1',
    /** The `source` of Broker events in this environment (informational: do not filter on it). */
    brokerEventSource: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    /** GET with a Maskinporten token as Bearer; answers an Altinn token. */
    tokenExchangeUrl: 'https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten',
    maskinportenUrl: 'https://test.maskinporten.no',
    /** Addresses Altinn Events pushes webhooks from: allow-list these. */
    pushSourceCidrs: ['20.100.24.41/32'],
  },
  production: {
    name: 'production',
    platformBaseUrl: 'https://platform.altinn.no',
    eventsApi: 'https://platform.altinn.no/events/api/v1',
    subscriptionsUrl: 'https://platform.altinn.no/events/api/v1/subscriptions',
    brokerApi: 'https://platform.altinn.no/broker/api/v1',
    /** Not confirmed by Altinn's code (the value comes from a deployment secret); presumed by analogy with TT02. */
    brokerEventSource: 'https://platform.altinn.no/broker/api/v1/filetransfer',
    tokenExchangeUrl: 'https://platform.altinn.no/authentication/api/v1/exchange/maskinporten',
    maskinportenUrl: 'https://maskinporten.no',
    pushSourceCidrs: ['20.100.46.139/32'],
  },
} as const;

export type AltinnEnvironmentName = keyof typeof ALTINN_ENVIRONMENTS;
export type AltinnEnvironment = (typeof ALTINN_ENVIRONMENTS)[AltinnEnvironmentName];

/** Maskinporten scopes this project uses (docs/altinn.md, section 1). */
export const ALTINN_SCOPES = {
  /** Create/list/delete generic subscriptions; GET /events. */
  eventsSubscribe: 'altinn:events.subscribe',
  /** Recipient operations: download, confirm. */
  brokerRead: 'altinn:broker.read',
  /** Sender operations: initialise, upload. */
  brokerWrite: 'altinn:broker.write',
} as const;

/** Thrown by the builders; `problems` lists every problem found, not just the first. */
export class SubscriptionFilterError extends Error {
  override readonly name = 'SubscriptionFilterError';
  readonly problems: Violation[];
  constructor(problems: Violation[]) {
    super(`Invalid Altinn Events subscription request:\n${formatViolations(problems)}`);
    this.problems = problems;
  }
}

const REQUEST_FIELDS = [
  'endPoint',
  'resourceFilter',
  'subjectFilter',
  'typeFilter',
  'sourceFilter',
  'alternativeSubjectFilter',
  'includeSubunits',
] as const;
type RequestField = (typeof REQUEST_FIELDS)[number];
type StringFilterField = Exclude<RequestField, 'endPoint' | 'includeSubunits'>;
const STRING_FILTERS: readonly StringFilterField[] = [
  'resourceFilter',
  'subjectFilter',
  'typeFilter',
  'sourceFilter',
  'alternativeSubjectFilter',
];

/** Why this is not an absolute https URL, or undefined. */
function httpsUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  if (value.length === 0) return 'must not be empty';
  if (/\s/.test(value)) return `must not contain whitespace, got ${quote(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL, got ${quote(value)}`;
  }
  if (url.protocol !== 'https:') {
    return `must use https (Altinn Events only pushes to https URLs with a publicly trusted certificate), got ${quote(value)}`;
  }
  if (url.hostname.length === 0) return `must name a host, got ${quote(value)}`;
  return undefined;
}

/** Why this is not a usable resourceFilter URN, or undefined. */
function resourceUrnProblem(value: string, generic: boolean): string | undefined {
  if (value !== value.toLowerCase()) {
    return `must be lowercase: Altinn only accepts lowercase resource URNs (use ${quote(value.toLowerCase())})`;
  }
  if (!ALTINN_URN_PATTERN.test(value))
    return `must be a valid Altinn URN (urn:altinn:resource:<id>), got ${quote(value)}`;
  if (generic && !value.startsWith(RESOURCE_URN_PREFIX))
    return `must start with ${RESOURCE_URN_PREFIX}, got ${quote(value)}`;
  if (generic && value.startsWith(`${RESOURCE_URN_PREFIX}app_`)) {
    return 'is an app resource: Altinn treats it as an app subscription, so pass { brokerResource: false }';
  }
  return undefined;
}

/** Why this typeFilter would never match a Broker event, or undefined. */
function typeFilterProblem(value: string): string | undefined {
  if (!isBrokerEventType(value) && value.toLowerCase() !== BROKER_TYPE_PREFIX) return undefined;
  const lower = value.toLowerCase();
  if (value !== lower) {
    return `must be lowercase: typeFilter is exact and case-sensitive, and Broker emits ${quote(lower)}`;
  }
  const info = eventTypeInfo(value);
  if (info === undefined || info.kind !== 'broker') return `is not a Broker event type, got ${quote(value)}`;
  if (info.retired)
    return `${quote(value)} is retired and never emitted any more (use ${BrokerEventType.FilePurged})`;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every problem in a request (see {@link subscriptionRequest}). */
function requestProblems(req: Record<string, unknown>, generic: boolean): Violation[] {
  const problems: Violation[] = [];
  const add = (path: string, reason: string | undefined) => {
    if (reason !== undefined) problems.push({ path, reason });
  };
  for (const key of Object.keys(req)) {
    if (!(REQUEST_FIELDS as readonly string[]).includes(key)) {
      add(
        key,
        key === 'consumer' || key === 'createdBy'
          ? 'cannot be set: Altinn sets it from the token'
          : `is not a subscription request field (use ${REQUEST_FIELDS.join(', ')})`,
      );
    }
  }
  add('endPoint', req['endPoint'] === undefined ? 'is required' : httpsUrlProblem(req['endPoint']));

  const present: Partial<Record<StringFilterField, string>> = {};
  for (const field of STRING_FILTERS) {
    const value = req[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      add(field, `must be a string, got ${describe(value)}`);
    } else if (value.trim().length === 0) {
      add(field, 'must be left out instead of empty: Altinn Events never matches an empty filter');
    } else if (value.trim() !== value) {
      add(field, `has leading or trailing whitespace, and filters match exactly: ${quote(value)}`);
    } else {
      present[field] = value;
    }
  }

  const { resourceFilter, subjectFilter, typeFilter, sourceFilter, alternativeSubjectFilter } = present;
  if (resourceFilter !== undefined) add('resourceFilter', resourceUrnProblem(resourceFilter, generic));
  if (generic) {
    if (req['resourceFilter'] === undefined || req['resourceFilter'] === null) {
      add('resourceFilter', 'is required for a generic (non-app) resource such as Broker');
    }
    if (sourceFilter !== undefined) {
      add(
        'sourceFilter',
        'is not supported for a generic (non-app) resource such as Broker: Altinn answers 400',
      );
    }
    if (alternativeSubjectFilter !== undefined) {
      add(
        'alternativeSubjectFilter',
        'is not supported for a generic (non-app) resource such as Broker: Altinn answers 400',
      );
    }
    if (subjectFilter?.startsWith('/organisation/')) {
      add(
        'subjectFilter',
        `uses the legacy /organisation/ form, which Broker events stopped using in December 2025: use ${ORGANISATION_URN_PREFIX}<orgnr>`,
      );
    }
  } else {
    if (resourceFilter === undefined && sourceFilter === undefined) {
      add('resourceFilter', 'an app subscription needs resourceFilter or sourceFilter');
    }
    if (sourceFilter !== undefined) add('sourceFilter', httpsUrlProblem(sourceFilter));
  }
  if (
    subjectFilter?.startsWith(ORGANISATION_URN_PREFIX) &&
    !/^[0-9]{9}$/.test(subjectFilter.slice(ORGANISATION_URN_PREFIX.length))
  ) {
    add(
      'subjectFilter',
      `an organisation subject ends in a 9-digit organisation number, got ${quote(subjectFilter)}`,
    );
  }
  if (typeFilter !== undefined) add('typeFilter', typeFilterProblem(typeFilter));

  const includeSubunits = req['includeSubunits'];
  if (includeSubunits !== undefined && includeSubunits !== null && typeof includeSubunits !== 'boolean') {
    add('includeSubunits', `must be a boolean, got ${describe(includeSubunits)}`);
  }
  if (includeSubunits === true && subjectFilter === undefined) {
    add('includeSubunits', 'requires subjectFilter (Altinn answers 400 otherwise)');
  }
  return problems;
}

function normalised(req: Record<string, unknown>): SubscriptionRequest {
  const out: SubscriptionRequest = { endPoint: req['endPoint'] as string };
  for (const field of STRING_FILTERS) {
    const value = req[field];
    if (typeof value === 'string') out[field] = value;
  }
  if (typeof req['includeSubunits'] === 'boolean') out.includeSubunits = req['includeSubunits'];
  return out;
}

/**
 * Validates any subscription request and returns a clean copy (only the fields Altinn knows, nulls dropped).
 * Throws {@link SubscriptionFilterError} listing every problem.
 *
 * `brokerResource` (default true) applies Altinn's rules for generic (non-app) resources, which Broker is:
 * resourceFilter required, sourceFilter and alternativeSubjectFilter refused. Pass `false` to build an app
 * subscription (the public Broker guide's sourceFilter + alternativeSubjectFilter form is only accepted there).
 */
export function subscriptionRequest(
  req: SubscriptionRequest,
  opts: { brokerResource?: boolean } = {},
): SubscriptionRequest {
  if (!isRecord(req)) {
    throw new SubscriptionFilterError([{ path: '', reason: `must be an object, got ${describe(req)}` }]);
  }
  const record = req as unknown as Record<string, unknown>;
  const problems = requestProblems(record, opts.brokerResource !== false);
  if (problems.length > 0) throw new SubscriptionFilterError(problems);
  return normalised(record);
}

export interface BrokerSubscriptionOptions {
  environment: AltinnEnvironmentName;
  /** The Broker resource id (`altinn-broker-test-resource-1`) or its full `urn:altinn:resource:` URN. */
  resourceId: string;
  /** Our organisation number: events are filtered on subject `urn:altinn:organization:identifier-no:<orgnr>`. */
  organisationNumber: string;
  /** Our webhook URL (https, publicly trusted certificate; put a secret path token in it). */
  endPoint: string;
  /** Broker types to subscribe to, lowercase: one request each. Leave out to get every type in one subscription. */
  types?: string[];
  /** Skip the mod-11 check for test numbers that fail it. TT02 only. */
  allowSyntheticOrganisationNumber?: boolean;
}

/**
 * The subscription requests for receiving Broker events as they are emitted today: resourceFilter
 * `urn:altinn:resource:<id>`, subjectFilter `urn:altinn:organization:identifier-no:<orgnr>`, and one request
 * per type (typeFilter is exact, one type only), or a single request without typeFilter when `types` is left out.
 * POST each to `ALTINN_ENVIRONMENTS[environment].subscriptionsUrl`. Throws {@link SubscriptionFilterError}
 * listing every problem.
 */
export function brokerSubscriptions(opts: BrokerSubscriptionOptions): SubscriptionRequest[] {
  if (!isRecord(opts))
    throw new SubscriptionFilterError([{ path: '', reason: `must be an object, got ${describe(opts)}` }]);
  const problems: Violation[] = [];
  const add = (path: string, reason: string | undefined) => {
    if (reason !== undefined) problems.push({ path, reason });
  };

  const environment: unknown = opts.environment;
  const knownEnvironment = typeof environment === 'string' && Object.hasOwn(ALTINN_ENVIRONMENTS, environment);
  if (!knownEnvironment) {
    add(
      'environment',
      `must be one of ${Object.keys(ALTINN_ENVIRONMENTS).join(', ')}, got ${describe(environment)}`,
    );
  }

  let resourceFilter: string | undefined;
  const resourceId: unknown = opts.resourceId;
  if (typeof resourceId !== 'string' || resourceId.length === 0) {
    add('resourceId', `must be a non-empty string, got ${describe(resourceId)}`);
  } else {
    const urn = resourceId.toLowerCase().startsWith(RESOURCE_URN_PREFIX)
      ? resourceId
      : `${RESOURCE_URN_PREFIX}${resourceId}`;
    const problem = resourceUrnProblem(urn, true);
    if (problem === undefined) resourceFilter = urn;
    else add('resourceId', `${quote(urn)}: ${problem}`);
  }

  const orgnr: unknown = opts.organisationNumber;
  const synthetic = opts.allowSyntheticOrganisationNumber === true;
  if (typeof orgnr !== 'string' || !/^[0-9]{9}$/.test(orgnr)) {
    add('organisationNumber', `must be exactly 9 digits, got ${describe(orgnr)}`);
  } else if (!synthetic && !isValidOrganisationNumber(orgnr)) {
    add(
      'organisationNumber',
      `${orgnr} fails the mod-11 check (a typo?); for a TT02 test number that fails it, set allowSyntheticOrganisationNumber`,
    );
  }
  if (synthetic && environment === 'production') {
    add(
      'allowSyntheticOrganisationNumber',
      'is only allowed in tt02: production has no synthetic organisations',
    );
  }

  add('endPoint', opts.endPoint === undefined ? 'is required' : httpsUrlProblem(opts.endPoint));

  const types: unknown = opts.types;
  let typeFilters: (string | undefined)[] = [undefined];
  if (types !== undefined) {
    if (!Array.isArray(types)) {
      add('types', `must be an array of Broker event types, got ${describe(types)}`);
    } else if (types.length === 0) {
      add('types', 'is empty, which would subscribe to nothing: leave it out to receive every type');
    } else {
      typeFilters = [];
      const seen = new Set<string>();
      (types as unknown[]).forEach((type, i) => {
        const path = `types[${i}]`;
        if (typeof type !== 'string') return add(path, `must be a string, got ${describe(type)}`);
        if (!isBrokerEventType(type))
          return add(path, `is not a Broker event type (${BROKER_TYPE_PREFIX}*), got ${quote(type)}`);
        const problem = typeFilterProblem(type);
        if (problem !== undefined) return add(path, problem);
        if (seen.has(type)) return add(path, `${quote(type)} is listed twice`);
        seen.add(type);
        typeFilters.push(type);
      });
    }
  }

  if (problems.length > 0) throw new SubscriptionFilterError(problems);
  return typeFilters.map((typeFilter) =>
    subscriptionRequest({
      endPoint: opts.endPoint,
      resourceFilter,
      subjectFilter: `${ORGANISATION_URN_PREFIX}${orgnr as string}`,
      ...(typeFilter === undefined ? {} : { typeFilter }),
    }),
  );
}
