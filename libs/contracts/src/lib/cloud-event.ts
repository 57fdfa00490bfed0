import { ValidationArguments, registerDecorator } from 'class-validator';
import { ATTRIBUTE_CHECKS, AttributeName, checkData, isAttributeName } from './attribute-rules';
import { EventKind, eventKindOf } from './event-types';
import { Violation } from './violation';

function kindOfObject(object: object): EventKind | undefined {
  const type: unknown = (object as { type?: unknown }).type;
  return typeof type === 'string' ? eventKindOf(type) : undefined;
}

/** class-validator decorator that applies the shared rule for one attribute (see attribute-rules.ts). */
function AltinnAttribute(name: AttributeName): PropertyDecorator {
  return (target: object, propertyKey: string | symbol) => {
    registerDecorator({
      name: `altinnCloudEvent.${name}`,
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          ATTRIBUTE_CHECKS[name](value, kindOfObject(args.object)) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          `${name} ${ATTRIBUTE_CHECKS[name](args.value, kindOfObject(args.object)) ?? 'is invalid'}`,
      },
    });
  };
}

/** class-validator decorator for `data`: JSON only, an object for Broker events, `Role` Sender/Recipient. */
function AltinnData(): PropertyDecorator {
  const problems = (value: unknown, object: object): Violation[] => {
    const out: Violation[] = [];
    checkData(value, kindOfObject(object), out);
    return out;
  };
  return (target: object, propertyKey: string | symbol) => {
    registerDecorator({
      name: 'altinnCloudEvent.data',
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown, args: ValidationArguments) => problems(value, args.object).length === 0,
        defaultMessage: (args: ValidationArguments) =>
          problems(args.value, args.object)
            .map((v) => `${v.path} ${v.reason}`)
            .join('; '),
      },
    });
  };
}

/**
 * A CloudEvent as Altinn Events delivers it (structured JSON mode), with Altinn's extension attributes.
 *
 * Get one from {@link parseCloudEvent} or {@link fromKafkaRecord}: they check everything (including extension
 * attribute names and prototype-pollution keys) and build the instance without running field initialisers, so
 * only attributes that were present are own properties. Valid extension attributes other than Altinn's are kept
 * as own string properties too (read them with {@link extensionAttributes}).
 *
 * The decorators run the same rules as the parser, so `validateSync(instance)` agrees with `parseCloudEvent` on
 * every declared attribute (the spec tests check this).
 */
export class AltinnCloudEvent {
  @AltinnAttribute('specversion') specversion!: '1.0';
  @AltinnAttribute('id') id!: string;
  @AltinnAttribute('source') source!: string;
  /** As received; see `canonicalType` in the parse result for the lowercase Broker spelling. */
  @AltinnAttribute('type') type!: string;
  @AltinnAttribute('time') time?: string;
  @AltinnAttribute('subject') subject?: string;
  @AltinnAttribute('datacontenttype') datacontenttype?: string;
  @AltinnAttribute('dataschema') dataschema?: string;
  /** Altinn extension: `urn:altinn:resource:<resource id>`. */
  @AltinnAttribute('resource') resource?: string;
  /** Altinn extension: for Broker, the file transfer id (a UUID). */
  @AltinnAttribute('resourceinstance') resourceinstance?: string;
  /** Altinn extension: a second subject (legacy Broker events put `/party/<id>` here). */
  @AltinnAttribute('alternativesubject') alternativesubject?: string;
  @AltinnData() data?: unknown;
}

/** An empty instance with the right prototype and no own properties (field initialisers are not run). */
export function blankEvent(): AltinnCloudEvent {
  return Object.create(AltinnCloudEvent.prototype) as AltinnCloudEvent;
}

/** The event's extension attributes that are not CloudEvents core or Altinn attributes, e.g. `traceparent`. */
export function extensionAttributes(event: AltinnCloudEvent): Record<string, string> {
  const out: Record<string, string> = {};
  const record = event as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key !== 'data' && !isAttributeName(key) && typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Sets an attribute by name on an event being built (the class has no index signature on purpose). */
export function setAttribute(event: AltinnCloudEvent, name: string, value: unknown): void {
  (event as unknown as Record<string, unknown>)[name] = value;
}
