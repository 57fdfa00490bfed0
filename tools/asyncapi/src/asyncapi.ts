/**
 * The AsyncAPI 3 description of every topic, generated from libs/contracts: topic names, the CloudEvents
 * headers, the key, the value, who produces and who consumes. `npm run asyncapi` writes docs/asyncapi.yaml;
 * a test fails when the committed file differs from what the contracts say.
 */
import {
  CURRENT_BROKER_EVENT_TYPES,
  EVENT_CATALOG,
  HEADERS,
  ROLES,
  TOPICS,
  deadLetterTopic,
  retryTopic,
} from '@broker-events/contracts';

export interface ConsumerDescription {
  /** Consumer name: the suffix of its retry and dead-letter topics. */
  name: string;
  /** Kafka consumer group id. */
  groupId: string;
  description: string;
}

type Json = Record<string, unknown>;

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });

function cloudEventHeaders(): Json {
  return {
    type: 'object',
    required: [
      HEADERS.specversion,
      HEADERS.id,
      HEADERS.source,
      HEADERS.type,
      HEADERS.typeKnown,
      HEADERS.kind,
    ],
    properties: {
      [HEADERS.specversion]: str('CloudEvents spec version.', { const: '1.0' }),
      [HEADERS.id]: str('Event id; (source, id) identifies an event.'),
      [HEADERS.source]: str('Event source, e.g. https://platform.tt02.altinn.no/broker/api/v1/filetransfer.'),
      [HEADERS.type]: str('Canonical (lowercase) event type.', {
        examples: [...CURRENT_BROKER_EVENT_TYPES],
      }),
      [HEADERS.time]: str('When it happened (RFC 3339).', { format: 'date-time' }),
      [HEADERS.subject]: str(
        'The party this copy is for: urn:altinn:organization:identifier-no:<orgnr>, or the older /organisation/<orgnr> and /party/<id> forms.',
      ),
      [HEADERS.resource]: str('The Broker resource, urn:altinn:resource:<id>.'),
      [HEADERS.resourceinstance]: str('The file transfer id.', { format: 'uuid' }),
      [HEADERS.alternativesubject]: str('Older events only: the alternative subject.'),
      [HEADERS.contentType]: str('Media type of the value (the data), when there is data.', {
        examples: ['application/json'],
      }),
      [HEADERS.role]: str('Which party this copy is for, from data.Role.', { enum: [...ROLES] }),
      [HEADERS.typeKnown]: str('"false" for a no.altinn.broker.* type this version does not know.', {
        enum: ['true', 'false'],
      }),
      [HEADERS.kind]: str('Event kind.', { enum: ['broker', 'broker-unknown'] }),
      [HEADERS.originalType]: str('The type exactly as received, when it differed from ce_type.'),
    },
  };
}

function deliveryHeaders(): Json {
  const base = cloudEventHeaders();
  const props = base['properties'] as Json;
  return {
    ...base,
    required: [...(base['required'] as string[]), HEADERS.deliveryConsumer, HEADERS.deliveryAttempt],
    properties: {
      ...props,
      [HEADERS.deliveryConsumer]: str('The consumer that failed to handle the event.'),
      [HEADERS.deliveryAttempt]: str('Attempts made so far (a number).'),
      [HEADERS.deliveryNotBefore]: str('Retry records: not to be retried before this time (RFC 3339).'),
      [HEADERS.deliveryError]: str('Short text of the last error.'),
      [HEADERS.deliveryFailure]: str('Why it was parked.', { enum: ['transient', 'permanent', 'invalid'] }),
      [HEADERS.deliveryFirstFailedAt]: str('First failure (RFC 3339).'),
      [HEADERS.deliveryLastFailedAt]: str('Latest failure (RFC 3339).'),
      [HEADERS.deliveryOriginalTopic]: str('Topic the record was first read from.'),
      [HEADERS.deliveryOriginalPartition]: str('Partition the record was first read from.'),
      [HEADERS.deliveryOriginalOffset]: str('Offset the record was first read from.'),
      [HEADERS.deliveryRound]: str('Retry-topic rounds used.'),
      [HEADERS.deliveryRedrivenAt]: str('When an operator last re-drove it.'),
      [HEADERS.deliveryRedriveCount]: str('How many times it was re-driven.'),
    },
  };
}

const eventPayload: Json = {
  description:
    'The CloudEvent `data`: for Broker events `{"Role": "Sender" | "Recipient"}`. Absent (empty value) when the event carries no data.',
  type: 'object',
  properties: { Role: { type: 'string', enum: [...ROLES] } },
};

const key: Json = {
  type: 'string',
  description:
    'The file transfer id (resourceinstance), so every event of one transfer is on one partition, in order. The event id when an event has no resourceinstance.',
};

export function asyncApiDocument(consumers: readonly ConsumerDescription[], version: string): Json {
  const types = EVENT_CATALOG.filter((t) => t.type.startsWith('no.altinn.broker.'))
    .map((t) => `- \`${t.type}\`${t.retired ? ' (retired)' : ''} — ${t.audience}: ${t.description.en}`)
    .join('\n');
  const channels: Json = {
    events: {
      address: TOPICS.events,
      title: 'Altinn Broker events',
      description: `Every valid Altinn Broker event the gateway received, in CloudEvents binary mode.\n\n${types}`,
      messages: { brokerEvent: { $ref: '#/components/messages/BrokerEvent' } },
    },
    quarantine: {
      address: TOPICS.quarantine,
      title: 'Quarantined requests',
      description:
        'Request bodies the gateway refused (400), exactly as received, with the violations in headers.',
      messages: { quarantined: { $ref: '#/components/messages/Quarantined' } },
    },
  };
  const operations: Json = {
    publishEvents: {
      action: 'send',
      title: 'The gateway publishes each accepted event (acks=all)',
      channel: { $ref: '#/channels/events' },
      messages: [{ $ref: '#/channels/events/messages/brokerEvent' }],
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
      messages: [{ $ref: '#/channels/events/messages/brokerEvent' }],
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
        "Kafka topics of broker-events: Altinn 3 Broker events received from Altinn Events webhooks, and each consumer's retry and dead-letter topics. Generated from libs/contracts; do not edit by hand.",
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:19092',
        protocol: 'kafka',
        description: 'The local broker started by `npm run kafka:start`.',
      },
    },
    channels,
    operations,
    components: {
      messages: {
        BrokerEvent: {
          name: 'BrokerEvent',
          title: 'Altinn Broker event (CloudEvents binary mode)',
          contentType: 'application/json',
          headers: cloudEventHeaders(),
          payload: eventPayload,
          bindings: { kafka: { key, bindingVersion: '0.5.0' } },
          examples: [
            {
              name: 'published-recipient',
              headers: {
                [HEADERS.specversion]: '1.0',
                [HEADERS.id]: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
                [HEADERS.source]: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
                [HEADERS.type]: 'no.altinn.broker.published',
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
            },
          ],
        },
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
        DeliveryRecord: {
          name: 'DeliveryRecord',
          title: 'An event parked by a consumer',
          contentType: 'application/json',
          headers: deliveryHeaders(),
          payload: eventPayload,
          bindings: { kafka: { key, bindingVersion: '0.5.0' } },
        },
      },
    },
  };
}
