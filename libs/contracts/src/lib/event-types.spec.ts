import {
  BrokerEventType,
  CURRENT_BROKER_EVENT_TYPES,
  EVENT_CATALOG,
  VALIDATE_SUBSCRIPTION_TYPE,
  canonicalEventType,
  eventKindOf,
  eventTypeInfo,
  isBrokerEventType,
} from './event-types';

describe('EVENT_CATALOG', () => {
  it('has every Broker type, the retired filedeleted and the handshake, each once', () => {
    const types = EVENT_CATALOG.map((i) => i.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types.sort()).toEqual([...Object.values(BrokerEventType), VALIDATE_SUBSCRIPTION_TYPE].sort());
  });

  it('uses the exact lowercase strings the Broker emits', () => {
    for (const type of Object.values(BrokerEventType)) expect(type).toBe(type.toLowerCase());
    expect(Object.values(BrokerEventType)).toHaveLength(9);
  });

  // Who gets a copy of each type, as Broker emits them.
  it.each([
    [BrokerEventType.FileTransferInitialized, 'sender'],
    [BrokerEventType.UploadProcessing, 'sender'],
    [BrokerEventType.UploadFailed, 'sender'],
    [BrokerEventType.Published, 'both'],
    [BrokerEventType.DownloadConfirmed, 'both'],
    [BrokerEventType.AllConfirmedDownloaded, 'sender'],
    [BrokerEventType.FileNeverConfirmedDownloaded, 'both'],
    [BrokerEventType.FilePurged, 'sender'],
    [BrokerEventType.FileDeleted, 'sender'],
  ])('%s goes to %s', (type, audience) => {
    expect(eventTypeInfo(type)?.audience).toBe(audience);
  });

  it('marks only filedeleted as retired', () => {
    expect(EVENT_CATALOG.filter((i) => i.retired).map((i) => i.type)).toEqual([BrokerEventType.FileDeleted]);
  });

  it('has a title and a description in bokmål and English for every type', () => {
    for (const info of EVENT_CATALOG) {
      for (const text of [info.title.nb, info.title.en, info.description.nb, info.description.en]) {
        expect(text.trim().length).toBeGreaterThan(3);
      }
      expect(info.title.nb).not.toBe(info.title.en);
    }
  });

  it('is frozen, so no consumer can change another consumer’s texts', () => {
    expect(Object.isFrozen(EVENT_CATALOG)).toBe(true);
    expect(Object.isFrozen(EVENT_CATALOG[0])).toBe(true);
    expect(Object.isFrozen(EVENT_CATALOG[0].title)).toBe(true);
  });

  it('CURRENT_BROKER_EVENT_TYPES are the eight emitted types', () => {
    expect(CURRENT_BROKER_EVENT_TYPES).toHaveLength(8);
    expect(CURRENT_BROKER_EVENT_TYPES).not.toContain(BrokerEventType.FileDeleted);
    expect(CURRENT_BROKER_EVENT_TYPES).not.toContain(VALIDATE_SUBSCRIPTION_TYPE);
  });
});

describe('type names', () => {
  it.each([
    ['no.altinn.broker.published', BrokerEventType.Published],
    ['no.altinn.broker.Published', BrokerEventType.Published],
    ['NO.ALTINN.BROKER.PUBLISHED', BrokerEventType.Published],
    ['no.altinn.broker.FileDeleted', BrokerEventType.FileDeleted],
    [VALIDATE_SUBSCRIPTION_TYPE, VALIDATE_SUBSCRIPTION_TYPE],
  ])('eventTypeInfo(%s) is the %s entry', (type, expected) => {
    expect(eventTypeInfo(type)?.type).toBe(expected);
  });

  it.each([
    'Platform.Events.ValidateSubscription',
    'no.altinn.broker.unknown',
    'no.altinn.broker.',
    'published',
    '',
  ])('eventTypeInfo(%j) is undefined', (type) => {
    expect(eventTypeInfo(type)).toBeUndefined();
  });

  it('canonicalEventType lowercases Broker types only', () => {
    expect(canonicalEventType('no.altinn.broker.UploadFailed')).toBe('no.altinn.broker.uploadfailed');
    expect(canonicalEventType('com.Example.Type')).toBe('com.Example.Type');
    expect(canonicalEventType(VALIDATE_SUBSCRIPTION_TYPE)).toBe(VALIDATE_SUBSCRIPTION_TYPE);
  });

  it('isBrokerEventType needs a name after the prefix', () => {
    expect(isBrokerEventType('no.altinn.broker.x')).toBe(true);
    expect(isBrokerEventType('No.Altinn.Broker.x')).toBe(true);
    expect(isBrokerEventType('no.altinn.broker.')).toBe(false);
    expect(isBrokerEventType('no.altinn.brokers.x')).toBe(false);
  });

  it.each([
    ['no.altinn.broker.published', 'broker'],
    ['no.altinn.broker.Published', 'broker'],
    ['no.altinn.broker.filedeleted', 'broker'],
    ['no.altinn.broker.filearchived', 'broker-unknown'],
    ['no.altinn.broker.v2.file-archived_x', 'broker-unknown'],
    [VALIDATE_SUBSCRIPTION_TYPE, 'handshake'],
    ['platform.events.ValidateSubscription', undefined],
    ['no.altinn.broker.file archived', undefined],
    ['no.altinn.broker..x', undefined],
    ['no.altinn.correspondence.published', undefined],
  ])('eventKindOf(%s) is %s', (type, kind) => {
    expect(eventKindOf(type)).toBe(kind);
  });
});
