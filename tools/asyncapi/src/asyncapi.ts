/**
 * The AsyncAPI 3 description of every topic, generated from libs/contracts: topic names, the CloudEvents
 * headers, the key, the value, who produces and who consumes. `npm run asyncapi` writes docs/asyncapi.yaml;
 * a test fails when the committed file differs from what the contracts say.
 */
import {
  BROKER_TYPE_PREFIX,
  BrokerEventType,
  EVENT_CATALOG,
  HEADERS,
  TOPICS,
  deadLetterTopic,
  retryTopic,
} from '@broker-events/contracts';
import {
  HEADERS_SCHEMA_FILE,
  SCHEMAS_DIR,
  UNKNOWN_TYPE_VALUE_SCHEMA_FILE,
  brokerCatalog,
  valueSchemaFile,
} from './schemas';

export interface ConsumerDescription {
  /** Consumer name: the suffix of its retry and dead-letter topics. */
  name: string;
  /** Kafka consumer group id. */
  groupId: string;
  description: string;
}

type Json = Record<string, unknown>;

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });

/** A reference from docs/asyncapi.yaml to one of the JSON Schema files next to it. */
const schemaRef = (file: string): Json => ({ $ref: `./${SCHEMAS_DIR}/${file}` });

function deliveryHeaders(): Json {
  return {
    description:
      'The headers of the original event (docs/schemas/headers.schema.json) plus what the consumer that parked it adds.',
    allOf: [
      schemaRef(HEADERS_SCHEMA_FILE),
      {
        type: 'object',
        required: [HEADERS.deliveryConsumer, HEADERS.deliveryAttempt],
        properties: {
          [HEADERS.deliveryConsumer]: str('The consumer that failed to handle the event.'),
          [HEADERS.deliveryAttempt]: str('Attempts made so far (a number).'),
          [HEADERS.deliveryNotBefore]: str('Retry records: not to be retried before this time (RFC 3339).'),
          [HEADERS.deliveryError]: str('Short text of the last error.'),
          [HEADERS.deliveryFailure]: str('Why it was parked.', {
            enum: ['transient', 'permanent', 'invalid'],
          }),
          [HEADERS.deliveryFirstFailedAt]: str('First failure (RFC 3339).'),
          [HEADERS.deliveryLastFailedAt]: str('Latest failure (RFC 3339).'),
          [HEADERS.deliveryOriginalTopic]: str('Topic the record was first read from.'),
          [HEADERS.deliveryOriginalPartition]: str('Partition the record was first read from.'),
          [HEADERS.deliveryOriginalOffset]: str('Offset the record was first read from.'),
          [HEADERS.deliveryRound]: str('Retry-topic rounds used.'),
          [HEADERS.deliveryRedrivenAt]: str('When an operator last re-drove it.'),
          [HEADERS.deliveryRedriveCount]: str('How many times it was re-driven.'),
        },
      },
    ],
  };
}

/** The AsyncAPI message id of a Broker type's messages, e.g. `published` for no.altinn.broker.published. */
export const messageIdOf = (type: string): string =>
  type.slice(BROKER_TYPE_PREFIX.length).replace(/[^A-Za-z0-9_]/g, '_');

const NO_DATA_NOTE =
  'An event without data is a record with an empty value (CloudEvents Kafka binding 3.2.2): check for an empty value before parsing.';

const key: Json = {
  type: 'string',
  description:
    'The file transfer id (resourceinstance), so every event of one transfer is on one partition, in order. The event id when an event has no resourceinstance.',
};

const deliveryKey: Json = {
  type: 'string',
  description:
    "The file transfer id of the event the report is about (its id when it has none), so one transfer's reports stay in order.",
};

const nullableString = (description: string): Json => ({ type: ['string', 'null'], description });

/** JSON Schema of DeliveryReport (libs/contracts/src/lib/read-model.ts). */
const DELIVERY_REPORT_SCHEMA: Json = {
  type: 'object',
  additionalProperties: false,
  required: [
    'consumer',
    'eventSource',
    'eventId',
    'eventType',
    'fileTransferId',
    'outcome',
    'detail',
    'error',
    'attempt',
    'deadLetter',
    'at',
  ],
  properties: {
    consumer: str('The consumer name (CONSUMER_NAME).', { pattern: '^[a-z][a-z0-9-]{0,48}$' }),
    eventSource: str('The CloudEvent source of the event.'),
    eventId: str('The CloudEvent id of the event.'),
    eventType: str('The event type.'),
    fileTransferId: nullableString('The file transfer id (resourceinstance), null when the event has none.'),
    outcome: str('What happened.', { enum: ['delivered', 'skipped', 'retry', 'dead-lettered'] }),
    detail: nullableString('What was done, for people, without secrets ("archived", "emailed to …").'),
    error: nullableString('Why it failed or was skipped.'),
    attempt: { type: 'integer', minimum: 1, description: '1 for the first attempt.' },
    deadLetter: {
      description: 'Where a dead letter was parked, so it can be re-driven; null otherwise.',
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['topic', 'partition', 'offset'],
          properties: {
            topic: { type: 'string' },
            partition: { type: 'integer', minimum: 0 },
            offset: { type: 'string', pattern: '^[0-9]+$' },
          },
        },
      ],
    },
    at: str('When the consumer finished this attempt (RFC 3339).', { format: 'date-time' }),
  },
};

const PUBLISHED_EXAMPLE: Json = {
  name: 'published-recipient',
  headers: {
    [HEADERS.specversion]: '1.0',
    [HEADERS.id]: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
    [HEADERS.source]: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    [HEADERS.type]: BrokerEventType.Published,
    [HEADERS.time]: '2026-11-20T09:00:12.251000Z',
    [HEADERS.subject]: 'urn:altinn:organization:identifier-no:312000008',
    [HEADERS.resource]: 'urn:altinn:resource:altinn-broker-test-resource-1',
    [HEADERS.resourceinstance]: 'da4ceacc-ad44-4e54-99b6-b58e3c13c785',
    [HEADERS.contentType]: 'application/json',
    [HEADERS.role]: 'Recipient',
    [HEADERS.typeKnown]: 'true',
    [HEADERS.kind]: 'broker',
  },
  payload: { Role: 'Recipient' },
};

/** One message per catalog Broker type (value schema of its own) and one for types this version does not know. */
function eventMessages(): Json {
  const bindings = { kafka: { key, bindingVersion: '0.5.0' } };
  const messages: Json = {};
  for (const t of brokerCatalog()) {
    messages[messageIdOf(t.type)] = {
      name: t.type,
      title: `${t.title.en}${t.retired ? ' (retired)' : ''}`,
      summary: `ce_type = ${t.type}`,
      description: `${t.description.en}\n\n${NO_DATA_NOTE}`,
      contentType: 'application/json',
      headers: schemaRef(HEADERS_SCHEMA_FILE),
      payload: schemaRef(valueSchemaFile(t.type)),
      bindings,
      ...(t.type === BrokerEventType.Published ? { examples: [PUBLISHED_EXAMPLE] } : {}),
    };
  }
  messages['unknown'] = {
    name: `${BROKER_TYPE_PREFIX}*`,
    title: 'A Broker type this version does not know yet',
    summary: 'altinn_typeknown = false, altinn_kind = broker-unknown',
    description: `Delivered rather than lost, so a new Broker type reaches you before this project knows its name. ${NO_DATA_NOTE}`,
    contentType: 'application/json',
    headers: schemaRef(HEADERS_SCHEMA_FILE),
    payload: schemaRef(UNKNOWN_TYPE_VALUE_SCHEMA_FILE),
    bindings,
  };
  return messages;
}

export function asyncApiDocument(consumers: readonly ConsumerDescription[], version: string): Json {
  const messages = eventMessages();
  const eventMessageRefs = (): Json[] =>
    Object.keys(messages).map((id) => ({ $ref: `#/channels/events/messages/${id}` }));
  const types = EVENT_CATALOG.filter((t) => t.type.startsWith('no.altinn.broker.'))
    .map((t) => `- \`${t.type}\`${t.retired ? ' (retired)' : ''} — ${t.audience}: ${t.description.en}`)
    .join('\n');
  const channels: Json = {
    events: {
      address: TOPICS.events,
      title: 'Altinn Broker events',
      description: `Every valid Altinn Broker event the gateway received, in CloudEvents binary mode.\n\n${types}`,
      messages: Object.fromEntries(
        Object.keys(messages).map((id) => [id, { $ref: `#/components/messages/${id}` }]),
      ),
    },
    quarantine: {
      address: TOPICS.quarantine,
      title: 'Quarantined requests',
      description:
        'Request bodies the gateway refused (400), exactly as received, with the violations in headers.',
      messages: { quarantined: { $ref: '#/components/messages/Quarantined' } },
    },
    deliveries: {
      address: TOPICS.deliveries,
      title: 'Delivery reports',
      description:
        'What each consumer did with each event (delivered, skipped, retry, dead-lettered), one JSON record per attempt. The archive stores them and serves them on its read API; a consumer of your own may publish its reports here too.',
      messages: { report: { $ref: '#/components/messages/DeliveryReport' } },
    },
  };
  const operations: Json = {
    publishEvents: {
      action: 'send',
      title: 'The gateway publishes each accepted event (acks=all)',
      channel: { $ref: '#/channels/events' },
      messages: eventMessageRefs(),
    },
    publishDeliveries: {
      action: 'send',
      title: 'Every consumer reports the outcome of each attempt',
      channel: { $ref: '#/channels/deliveries' },
      messages: [{ $ref: '#/channels/deliveries/messages/report' }],
    },
    publishQuarantine: {
      action: 'send',
      title: 'The gateway keeps each refused body',
      channel: { $ref: '#/channels/quarantine' },
      messages: [{ $ref: '#/channels/quarantine/messages/quarantined' }],
    },
  };
  for (const c of consumers) {
    const id = c.name.replace(/-/g, '_');
    channels[`retry_${id}`] = {
      address: retryTopic(c.name),
      title: `Retries of ${c.name}`,
      description: `Events ${c.name} failed to deliver and will retry after delivery_notbefore.`,
      messages: { delivery: { $ref: '#/components/messages/DeliveryRecord' } },
    };
    channels[`dlq_${id}`] = {
      address: deadLetterTopic(c.name),
      title: `Dead letters of ${c.name}`,
      description: `Events ${c.name} gave up on; an operator can inspect and re-drive them.`,
      messages: { delivery: { $ref: '#/components/messages/DeliveryRecord' } },
    };
    operations[`${id}_consumes`] = {
      action: 'receive',
      title: `${c.name}: ${c.description}`,
      channel: { $ref: '#/channels/events' },
      messages: eventMessageRefs(),
      bindings: { kafka: { groupId: { type: 'string', enum: [c.groupId] }, bindingVersion: '0.5.0' } },
    };
    operations[`${id}_retries`] = {
      action: 'send',
      title: `${c.name} parks failed events`,
      channel: { $ref: `#/channels/retry_${id}` },
      messages: [{ $ref: `#/channels/retry_${id}/messages/delivery` }],
    };
    operations[`${id}_deadletters`] = {
      action: 'send',
      title: `${c.name} dead-letters events it gave up on`,
      channel: { $ref: `#/channels/dlq_${id}` },
      messages: [{ $ref: `#/channels/dlq_${id}/messages/delivery` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'broker-events topics',
      version,
      description:
        "Kafka topics of broker-events: Altinn 3 Broker events received from Altinn Events webhooks, and each consumer's retry and dead-letter topics. Generated from libs/contracts; do not edit by hand. To subscribe a system of your own, read docs/subscribing.md.",
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:19092',
        protocol: 'kafka',
        description: 'The local broker started by `npm run kafka:start`.',
      },
      cluster: {
        host: 'broker-events-kafka-bootstrap:9093',
        protocol: 'kafka-secure',
        description:
          "The Strimzi cluster's TLS listener, for internal subscribers. Each team gets its own SCRAM-SHA-512 user (or TLS client certificate) with read-only ACLs from `npm run subscriber -- add <team>`.",
        security: [
          { $ref: '#/components/securitySchemes/scram' },
          { $ref: '#/components/securitySchemes/tlsClient' },
        ],
      },
    },
    channels,
    operations,
    components: {
      securitySchemes: {
        scram: {
          type: 'scramSha512',
          description: 'SCRAM-SHA-512 over TLS: user and password from the Secret of your KafkaUser.',
        },
        tlsClient: {
          type: 'X509',
          description:
            'Mutual TLS: user.p12 and user.password from the Secret of your KafkaUser (--auth tls).',
        },
      },
      messages: {
        ...messages,
        Quarantined: {
          name: 'Quarantined',
          title: 'A refused request body',
          contentType: 'application/octet-stream',
          headers: {
            type: 'object',
            required: [HEADERS.quarantineViolations, HEADERS.quarantineReceivedAt],
            properties: {
              [HEADERS.quarantineViolations]: str('JSON array of {path, reason} (cut to 8 KiB).'),
              [HEADERS.quarantineViolationCount]: str('How many violations there were.'),
              [HEADERS.quarantineReceivedAt]: str('When the gateway received it (RFC 3339).'),
              [HEADERS.quarantineContentType]: str('The request Content-Type.'),
              [HEADERS.quarantineRemoteAddress]: str('The client address.'),
            },
          },
          payload: { type: 'string', description: 'The request body, byte for byte.' },
        },
        DeliveryReport: {
          name: 'DeliveryReport',
          title: "One consumer's outcome for one event",
          contentType: 'application/json',
          payload: DELIVERY_REPORT_SCHEMA,
          bindings: { kafka: { key: deliveryKey, bindingVersion: '0.5.0' } },
        },
        DeliveryRecord: {
          name: 'DeliveryRecord',
          title: 'An event parked by a consumer',
          contentType: 'application/json',
          headers: deliveryHeaders(),
          payload: schemaRef(UNKNOWN_TYPE_VALUE_SCHEMA_FILE),
          bindings: { kafka: { key, bindingVersion: '0.5.0' } },
        },
      },
    },
  };
}
