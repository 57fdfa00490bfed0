/**
 * @broker-events/contracts: the Altinn Broker event contract shared by the gateway and every consumer.
 * Pure TypeScript + class-validator. No NestJS, no kafkajs, no Node APIs beyond Buffer.
 */
export {
  BROKER_TYPE_PREFIX,
  BrokerEventType,
  CURRENT_BROKER_EVENT_TYPES,
  EVENT_CATALOG,
  ROLES,
  VALIDATE_SUBSCRIPTION_TYPE,
  canonicalEventType,
  eventKindOf,
  eventTypeInfo,
  isBrokerEventType,
} from './lib/event-types';
export type { BrokerEventTypeName, EventKind, EventTypeInfo, Role } from './lib/event-types';

export { AltinnCloudEvent, extensionAttributes } from './lib/cloud-event';
export type { Violation } from './lib/violation';
export { formatViolations } from './lib/violation';
export {
  ATTRIBUTE_NAMES,
  EXTENSION_NAME_PATTERN,
  MAX_DATA_DEPTH,
  MAX_VIOLATIONS,
} from './lib/attribute-rules';
export type { AttributeName } from './lib/attribute-rules';
export { eventRole, fileTransferId, organisationNumber, parseCloudEvent } from './lib/parse';
export type { ParseResult } from './lib/parse';
export {
  ALTINN_URN_PATTERN,
  ORGANISATION_URN_PREFIX,
  PERSON_URN_PREFIX,
  RESOURCE_URN_PREFIX,
  UUID_PATTERN,
  isRfc3339,
  subjectForm,
} from './lib/formats';
export type { SubjectForm } from './lib/formats';
export { isValidOrganisationNumber } from './lib/org-number';

export {
  CONSUMER_NAME_PATTERN,
  TOPICS,
  allTopics,
  deadLetterTopic,
  parseTopicName,
  retryTopic,
} from './lib/topics';
export type { TopicKind, TopicName } from './lib/topics';
export {
  CE_HEADER_PREFIX,
  HEADERS,
  QUARANTINE_VIOLATIONS_MAX_BYTES,
  encodeViolations,
  fromKafkaRecord,
  headerValue,
  kafkaKey,
  quarantineKey,
  quarantineRecord,
  quarantineViolations,
  toKafkaRecord,
} from './lib/kafka';
export type { HeaderName, KafkaHeadersIn, KafkaMessageIn, KafkaRecord } from './lib/kafka';

export {
  FILTER_ATTRIBUTES,
  FilterError,
  attributesFromEvent,
  attributesFromHeaders,
  compileFilter,
  filters,
} from './lib/filters';
export type { EventAttributes, EventFilter, EventPredicate, FilterAttribute } from './lib/filters';

export {
  ALTINN_ENVIRONMENTS,
  ALTINN_SCOPES,
  SubscriptionFilterError,
  brokerSubscriptions,
  subscriptionRequest,
} from './lib/subscriptions';
export type {
  AltinnEnvironment,
  AltinnEnvironmentName,
  BrokerSubscriptionOptions,
  SubscriptionRequest,
} from './lib/subscriptions';

export type {
  AttentionReport,
  DeliveryOutcome,
  DeliveryReport,
  TimelineEntry,
  TransferPage,
  TransferPhase,
  TransferState,
  TransferSummary,
  TransferTimeline,
} from './lib/read-model';
export { awaitsConfirmation, deriveTransferState } from './lib/transfer-state';
export {
  DELIVERY_OUTCOMES,
  DELIVERY_TEXT_MAX,
  DeliveryReportRecord,
  parseDeliveryReport,
} from './lib/delivery-report';
export type { DeliveryReportParseResult } from './lib/delivery-report';
export type { TransferEventInput } from './lib/transfer-state';
