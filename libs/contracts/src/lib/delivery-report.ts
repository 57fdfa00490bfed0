import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidationArguments,
  ValidationError,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { isPlainObject } from './attribute-rules';
import { isRfc3339 } from './formats';
import type { DeliveryOutcome, DeliveryReport } from './read-model';
import { CONSUMER_NAME_PATTERN } from './topics';
import { Violation, describe } from './violation';

export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  'delivered',
  'skipped',
  'retry',
  'dead-lettered',
];

/** Longest `detail` / `error` text kept (a report is for people, not a log dump). */
export const DELIVERY_TEXT_MAX = 2000;

const FIELDS = [
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
] as const;

function IsRfc3339(): PropertyDecorator {
  return (target: object, propertyKey: string | symbol) =>
    registerDecorator({
      name: 'isRfc3339',
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isRfc3339(value),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an RFC 3339 time, got ${describe(args.value)}`,
      },
    });
}

/** `{ topic, partition, offset }` of a dead letter, or null. */
function IsDeadLetterRef(): PropertyDecorator {
  const problem = (value: unknown): string | undefined => {
    if (value === null) return undefined;
    if (!isPlainObject(value)) return `must be null or {topic, partition, offset}, got ${describe(value)}`;
    const v = value as Record<string, unknown>;
    const extra = Object.keys(v).filter((k) => !['topic', 'partition', 'offset'].includes(k));
    if (extra.length > 0) return `has unknown keys ${extra.join(', ')}`;
    if (typeof v['topic'] !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(v['topic']))
      return 'topic must be a Kafka topic name';
    if (typeof v['partition'] !== 'number' || !Number.isInteger(v['partition']) || v['partition'] < 0)
      return 'partition must be a whole number ≥ 0';
    if (typeof v['offset'] !== 'string' || !/^[0-9]{1,19}$/.test(v['offset']))
      return 'offset must be a decimal string';
    return undefined;
  };
  return (target: object, propertyKey: string | symbol) =>
    registerDecorator({
      name: 'isDeadLetterRef',
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown) => problem(value) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${problem(args.value) ?? 'is invalid'}`,
      },
    });
}

/** class-validator class of a {@link DeliveryReport} record (the value of a record on TOPICS.deliveries). */
export class DeliveryReportRecord implements DeliveryReport {
  @Matches(CONSUMER_NAME_PATTERN, { message: 'consumer must be a consumer name ([a-z][a-z0-9-]{0,48})' })
  @IsString()
  consumer!: string;

  @IsString() @MinLength(1) @MaxLength(1000) eventSource!: string;
  @IsString() @MinLength(1) @MaxLength(1000) eventId!: string;
  @IsString() @MinLength(1) @MaxLength(300) eventType!: string;

  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  fileTransferId!: string | null;

  @IsIn(DELIVERY_OUTCOMES, { message: `outcome must be one of ${DELIVERY_OUTCOMES.join(', ')}` })
  outcome!: DeliveryOutcome;

  @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(DELIVERY_TEXT_MAX) detail!: string | null;
  @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(DELIVERY_TEXT_MAX) error!: string | null;

  @IsInt() @Min(1) attempt!: number;

  @IsOptional() @IsDeadLetterRef() deadLetter!: { topic: string; partition: number; offset: string } | null;

  @IsRfc3339() at!: string;
}

export type DeliveryReportParseResult =
  { ok: true; report: DeliveryReport } | { ok: false; violations: Violation[] };

function flatten(errors: ValidationError[]): Violation[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((reason) => ({ path: e.property, reason })),
  );
}

/**
 * Validates an untrusted value (JSON.parse of a TOPICS.deliveries record) as a DeliveryReport. Never throws; every
 * field is required (null where the type allows it), unknown keys are refused, every violation is listed.
 */
export function parseDeliveryReport(input: unknown): DeliveryReportParseResult {
  if (!isPlainObject(input))
    return { ok: false, violations: [{ path: '', reason: `must be a JSON object, got ${describe(input)}` }] };
  const record = input as Record<string, unknown>;
  const violations: Violation[] = [];
  for (const key of Object.keys(record))
    if (!(FIELDS as readonly string[]).includes(key))
      violations.push({ path: key, reason: 'is not a DeliveryReport field' });
  for (const key of FIELDS)
    if (!Object.hasOwn(record, key) || record[key] === undefined)
      violations.push({ path: key, reason: 'is required (null when there is nothing to say)' });
  const instance = new DeliveryReportRecord();
  for (const key of FIELDS) if (Object.hasOwn(record, key)) Object.assign(instance, { [key]: record[key] });
  violations.push(
    ...flatten(validateSync(instance, { forbidUnknownValues: false })).filter(
      (v) => record[v.path] !== undefined,
    ),
  );
  if (violations.length > 0) return { ok: false, violations };
  const deadLetter = record['deadLetter'] as DeliveryReport['deadLetter'];
  return {
    ok: true,
    report: {
      consumer: instance.consumer,
      eventSource: instance.eventSource,
      eventId: instance.eventId,
      eventType: instance.eventType,
      fileTransferId: instance.fileTransferId,
      outcome: instance.outcome,
      detail: instance.detail,
      error: instance.error,
      attempt: instance.attempt,
      deadLetter: deadLetter === null ? null : { ...deadLetter },
      at: instance.at,
    },
  };
}
