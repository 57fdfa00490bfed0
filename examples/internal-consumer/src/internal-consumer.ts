/**
 * How another team's service consumes our events topic: plain kafkajs, its own consumer group, and a filter on
 * the record headers, so events it does not want are skipped without reading (or trusting) their value.
 *
 * Only the topic and header names come from @broker-events/contracts (docs/asyncapi.yaml lists the same); copy
 * the strings if you do not take the package.
 */
import { HEADERS, TOPICS } from '@broker-events/contracts';
import { type IHeaders, Kafka, logLevel } from 'kafkajs';

export interface InternalConsumerOptions {
  brokers: string[];
  /** Your own group: every group gets every event, and its offsets are yours alone. Never reuse ours. */
  groupId: string;
  /** Canonical event types to act on (the `ce_type` header), e.g. `no.altinn.broker.published`. */
  types: readonly string[];
  /**
   * `Sender` and/or `Recipient` (the `altinn_role` header); empty: both. An event without data has no
   * `altinn_role`: it is kept (its subject says whose it is), never dropped because its role is unknown.
   */
  roles?: readonly string[];
  /** Start from the oldest event the topic still holds when the group is new (default: only new events). */
  fromBeginning?: boolean;
  onEvent: (event: ReceivedEvent) => Promise<void> | void;
}

export interface ReceivedEvent {
  id: string;
  type: string;
  role: string | undefined;
  /** The record key: the file transfer id, so all events of one transfer arrive in order. */
  fileTransferId: string;
  /** The record value: the CloudEvent's `data` as JSON bytes; empty or null when the event has no data. */
  value: Buffer | null;
  /**
   * The `data`, parsed: undefined for an event without data. Binary mode puts "no data" as a record without a
   * value, and the gateway writes it as zero bytes: JSON.parse of that throws, so check first (as here).
   */
  data: unknown;
}

/** The event's data from a binary-mode record value: undefined when there is none (null or zero bytes). */
export function eventData(value: Buffer | null): unknown {
  if (value === null || value.length === 0) return undefined;
  return JSON.parse(value.toString('utf8')) as unknown;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export async function startInternalConsumer(options: InternalConsumerOptions): Promise<RunningConsumer> {
  const kafka = new Kafka({ clientId: options.groupId, brokers: options.brokers, logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: options.groupId });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.events, fromBeginning: options.fromBeginning ?? false });
  const types = new Set(options.types);
  const roles = new Set(options.roles ?? []);
  await consumer.run({
    eachMessage: async ({ message }) => {
      const type = header(message.headers, HEADERS.type);
      const role = header(message.headers, HEADERS.role);
      if (type === undefined || !types.has(type)) return; // not ours: skipped on headers alone
      if (roles.size > 0 && role !== undefined && !roles.has(role)) return;
      await options.onEvent({
        id: header(message.headers, HEADERS.id) ?? '',
        type,
        role,
        fileTransferId: message.key?.toString() ?? '',
        value: message.value,
        data: eventData(message.value),
      });
      // Returning commits the offset (kafkajs auto-commit); throwing makes kafkajs retry this record.
    },
  });
  return { stop: () => consumer.disconnect() };
}
