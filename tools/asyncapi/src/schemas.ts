/**
 * JSON Schema (2020-12) of what a subscriber reads from the events topic, generated from libs/contracts:
 * one schema per Broker event type for the record value (the CloudEvent `data`), one generic value schema for
 * types this version does not know yet, and one for the record headers. `npm run asyncapi` writes them to
 * docs/schemas/ next to docs/asyncapi.yaml, which references them; a test fails when the committed files differ
 * from what the contracts say, and validates every sample and produced record against the committed files.
 */
import {
  ALTINN_URN_PATTERN,
  BROKER_TYPE_PREFIX,
  EVENT_CATALOG,
  HEADERS,
  ORGANISATION_URN_PREFIX,
  PERSON_URN_PREFIX,
  RESOURCE_URN_PREFIX,
  ROLES,
  TOPICS,
  UUID_PATTERN,
} from '@broker-events/contracts';

type Json = Record<string, unknown>;

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Folder of the schema files, relative to docs/ (where asyncapi.yaml is). */
export const SCHEMAS_DIR = 'schemas';
export const HEADERS_SCHEMA_FILE = 'headers.schema.json';
export const UNKNOWN_TYPE_VALUE_SCHEMA_FILE = 'value.broker-unknown.schema.json';

export interface SchemaFile {
  /** File name under docs/schemas/. */
  file: string;
  /** The Broker type the value schema is for; undefined for the headers and the unknown-type schemas. */
  type?: string;
  schema: Json;
}

export const valueSchemaFile = (type: string): string => `value.${type}.schema.json`;

/** The Broker types with a value schema: every catalog Broker type, retired ones included (still accepted). */
export function brokerCatalog(): typeof EVENT_CATALOG {
  return EVENT_CATALOG.filter((t) => t.kind === 'broker');
}

const AUDIENCE: Record<string, string> = {
  sender: 'Only the sender gets this event (Role "Sender").',
  recipient: 'Only recipients get this event (Role "Recipient").',
  both: 'The sender and each recipient get their own copy, told apart by Role (and subject).',
};

const NO_DATA =
  'When the event has no data the record value is empty (zero bytes, or null): there is nothing to validate ' +
  'against this schema. Never parse an empty value as JSON.';

function valueSchema(title: string, description: string): Json {
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title,
    description,
    type: 'object',
    properties: {
      Role: {
        description:
          'Which party this copy of the event is for. The same value is in the altinn_role header, so filter on that.',
        enum: [...ROLES],
      },
    },
    // Altinn may add fields to data without notice; the gateway keeps them, and so must a consumer.
    additionalProperties: true,
  };
}

function valueSchemas(): SchemaFile[] {
  const known = brokerCatalog().map((t) => ({
    file: valueSchemaFile(t.type),
    type: t.type,
    schema: valueSchema(
      `${t.type}: record value`,
      `${t.title.en}${t.retired ? ' (retired type: still accepted, no longer emitted)' : ''}. ${t.description.en} ` +
        `${AUDIENCE[t.audience]} The record value on ${TOPICS.events} is the CloudEvent data as UTF-8 JSON. ${NO_DATA}`,
    ),
  }));
  const unknown: SchemaFile = {
    file: UNKNOWN_TYPE_VALUE_SCHEMA_FILE,
    schema: valueSchema(
      `${BROKER_TYPE_PREFIX}* type not in this version's catalog: record value`,
      `A well-formed Broker type this version does not know yet (headers altinn_typeknown "false", altinn_kind ` +
        `"broker-unknown"). The gateway delivers it rather than lose it, with the same rules for data as every ` +
        `Broker event. ${NO_DATA}`,
    ),
  };
  return [...known, unknown];
}

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });

/** `^(?:a|b)$` from whole-string regexes, without their anchors. */
const anyOf = (...patterns: string[]): string =>
  `^(?:${patterns.map((p) => p.replace(/^\^/, '').replace(/\$$/, '')).join('|')})$`;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function headersSchema(): Json {
  const knownTypes = brokerCatalog().map((t) => t.type);
  const brokerTypeSuffix = '[a-z0-9][a-z0-9._-]{0,99}';
  const subject = anyOf(
    `${escape(ORGANISATION_URN_PREFIX)}[0-9]{9}`,
    '/organisation/[0-9]{9}',
    '/party/[0-9]{1,19}',
    `${escape(PERSON_URN_PREFIX)}[0-9]{11}`,
  );
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title: `Headers of a record on ${TOPICS.events}`,
    description:
      'CloudEvents Kafka protocol binding, binary mode: each attribute in a ce_<name> header, the datacontenttype ' +
      'in content-type, plus headers derived by the gateway (altinn_*) so a consumer can filter without reading ' +
      'the value. Every value is a UTF-8 string. Validate the headers as an object of name to string value. ' +
      'Headers not listed here may appear later (new CloudEvents extensions travel as ce_<name>): ignore those ' +
      'you do not know.',
    type: 'object',
    // The Altinn extensions too: the gateway refuses a Broker event without subject, resource or resourceinstance.
    required: [
      HEADERS.specversion,
      HEADERS.id,
      HEADERS.source,
      HEADERS.type,
      HEADERS.subject,
      HEADERS.resource,
      HEADERS.resourceinstance,
      HEADERS.typeKnown,
      HEADERS.kind,
    ],
    properties: {
      [HEADERS.specversion]: str('CloudEvents spec version.', { const: '1.0' }),
      [HEADERS.id]: str('Event id. (ce_source, ce_id) identifies an event: use it to drop duplicates.', {
        minLength: 1,
      }),
      [HEADERS.source]: str(
        'Event source (a URI-reference), e.g. https://platform.tt02.altinn.no/broker/api/v1/filetransfer.',
        { minLength: 1 },
      ),
      [HEADERS.type]: str(
        `The canonical (lowercase) event type. Types outside ${knownTypes.join(', ')} are new Broker types this ` +
          'version does not know yet (altinn_typeknown "false").',
        { pattern: `^${escape(BROKER_TYPE_PREFIX)}${brokerTypeSuffix}$`, examples: knownTypes },
      ),
      [HEADERS.time]: str('When it happened (RFC 3339, Z or offset, up to 9 fractional digits).', {
        format: 'date-time',
      }),
      [HEADERS.subject]: str(
        `The party this copy is for: ${ORGANISATION_URN_PREFIX}<orgnr> today; /organisation/<orgnr> and ` +
          `/party/<id> on older events; ${PERSON_URN_PREFIX}<fnr> for a person.`,
        { pattern: subject },
      ),
      [HEADERS.alternativesubject]: str('Older events only: a second subject, same forms as ce_subject.', {
        pattern: subject,
      }),
      [HEADERS.resource]: str(`The Broker resource, ${RESOURCE_URN_PREFIX}<id>.`, {
        pattern: ALTINN_URN_PATTERN.source,
        allOf: [{ pattern: `^${escape(RESOURCE_URN_PREFIX)}` }],
      }),
      [HEADERS.resourceinstance]: str('The file transfer id (a UUID); also the record key, lowercased.', {
        pattern: UUID_PATTERN.source,
      }),
      [HEADERS.dataschema]: str('CloudEvents dataschema, when the event had one (an absolute URI).'),
      [HEADERS.contentType]: str(
        'Media type of the value when there is data (a JSON media type, usually application/json). Absent when ' +
          'the event has no data.',
        { examples: ['application/json'] },
      ),
      [HEADERS.role]: str(
        'Which party this copy is for (from data.Role). Absent when the event has no data.',
        {
          enum: [...ROLES],
        },
      ),
      [HEADERS.typeKnown]: str('"true" when ce_type is in this version\'s catalog, else "false".', {
        enum: ['true', 'false'],
      }),
      [HEADERS.kind]: str('"broker" for a known type, "broker-unknown" for a new one.', {
        enum: ['broker', 'broker-unknown'],
      }),
      [HEADERS.originalType]: str(
        'The type exactly as received, only when it differed from ce_type (e.g. no.altinn.broker.Published).',
        { minLength: 1 },
      ),
    },
    // Any other header, e.g. ce_traceparent (another CloudEvents extension attribute): a string, to be ignored
    // by a consumer that does not know it.
    additionalProperties: { type: 'string' },
    allOf: [
      {
        if: { properties: { [HEADERS.typeKnown]: { const: 'true' } }, required: [HEADERS.typeKnown] },
        then: { properties: { [HEADERS.type]: { enum: knownTypes }, [HEADERS.kind]: { const: 'broker' } } },
      },
      {
        if: { properties: { [HEADERS.typeKnown]: { const: 'false' } }, required: [HEADERS.typeKnown] },
        then: {
          properties: {
            [HEADERS.type]: { not: { enum: knownTypes } },
            [HEADERS.kind]: { const: 'broker-unknown' },
          },
        },
      },
    ],
  };
}

/** Every schema file, in a stable order. */
export function schemaFiles(): SchemaFile[] {
  return [{ file: HEADERS_SCHEMA_FILE, schema: headersSchema() }, ...valueSchemas()];
}

export function renderSchema(schema: Json): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
