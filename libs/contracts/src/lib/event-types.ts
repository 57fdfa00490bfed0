/**
 * The catalog of event types this project receives: every Altinn Broker type (libs/contracts/README.md), the retired
 * `filedeleted`, and the Altinn Events subscription-validation handshake.
 */

/** Every Broker event type string, exactly as the Broker emits it today (all lowercase). */
export const BrokerEventType = {
  FileTransferInitialized: 'no.altinn.broker.filetransferinitialized',
  UploadProcessing: 'no.altinn.broker.uploadprocessing',
  UploadFailed: 'no.altinn.broker.uploadfailed',
  Published: 'no.altinn.broker.published',
  DownloadConfirmed: 'no.altinn.broker.downloadconfirmed',
  AllConfirmedDownloaded: 'no.altinn.broker.allconfirmeddownloaded',
  FileNeverConfirmedDownloaded: 'no.altinn.broker.fileneverconfirmeddownloaded',
  FilePurged: 'no.altinn.broker.filepurged',
  /** Retired: renamed to `filepurged` in May 2024. Accepted, never emitted any more. */
  FileDeleted: 'no.altinn.broker.filedeleted',
} as const;

export type BrokerEventTypeName = (typeof BrokerEventType)[keyof typeof BrokerEventType];

/** The type of the handshake Altinn Events POSTs when a subscription is created (answer 2xx, do not forward). */
export const VALIDATE_SUBSCRIPTION_TYPE = 'platform.events.validatesubscription';

/** Every Broker type starts with this (compared case-insensitively). */
export const BROKER_TYPE_PREFIX = 'no.altinn.broker.';

/** The name after {@link BROKER_TYPE_PREFIX}, once lowercased. Broker builds it from a C# enum name. */
const BROKER_TYPE_SUFFIX = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export type Role = 'Sender' | 'Recipient';
export const ROLES: readonly Role[] = ['Sender', 'Recipient'];

export interface EventTypeInfo {
  type: string;
  /** Who gets a copy: the sender, the recipients, or both (one event per party, each with its own subject/Role). */
  audience: 'sender' | 'recipient' | 'both';
  /** True for a type that is still accepted but no longer emitted. */
  retired: boolean;
  title: { nb: string; en: string };
  description: { nb: string; en: string };
  /** 'broker' for Broker types, 'handshake' for the Events subscription validation. */
  kind: 'broker' | 'handshake';
}

const CATALOG_ENTRIES: EventTypeInfo[] = [
  {
    type: BrokerEventType.FileTransferInitialized,
    audience: 'sender',
    retired: false,
    kind: 'broker',
    title: { nb: 'Filoverføring opprettet', en: 'File transfer initialised' },
    description: {
      nb: 'Avsenderen har opprettet en filoverføring. Filen er ikke lastet opp ennå.',
      en: 'The sender initialised a file transfer. The file has not been uploaded yet.',
    },
  },
  {
    type: BrokerEventType.UploadProcessing,
    audience: 'sender',
    retired: false,
    kind: 'broker',
    title: { nb: 'Opplastet fil kontrolleres', en: 'Upload is being processed' },
    description: {
      nb: 'Filen er lastet opp og blir kontrollert (virusskanning og/eller sjekksum) før den publiseres.',
      en: 'The file was uploaded and is being checked (virus scan and/or checksum) before it is published.',
    },
  },
  {
    type: BrokerEventType.UploadFailed,
    audience: 'sender',
    retired: false,
    kind: 'broker',
    title: { nb: 'Opplasting feilet', en: 'Upload failed' },
    description: {
      nb: 'Opplastingen feilet eller ble avbrutt, sjekksummen stemte ikke, eller filen inneholdt skadelig kode. Filen blir ikke levert.',
      en: 'The upload failed or was aborted, the checksum did not match, or malware was found. The file will not be delivered.',
    },
  },
  {
    type: BrokerEventType.Published,
    audience: 'both',
    retired: false,
    kind: 'broker',
    title: { nb: 'Fil klar til nedlasting', en: 'File ready for download' },
    description: {
      nb: 'Filen er publisert og kan lastes ned av mottakerne. Avsender og hver mottaker får hver sin hendelse.',
      en: 'The file is published and the recipients can download it. The sender and each recipient get their own event.',
    },
  },
  {
    type: BrokerEventType.DownloadConfirmed,
    audience: 'both',
    retired: false,
    kind: 'broker',
    title: { nb: 'Nedlasting bekreftet', en: 'Download confirmed' },
    description: {
      nb: 'En mottaker har bekreftet at filen er lastet ned. Mottakeren og avsenderen får hver sin hendelse.',
      en: 'A recipient confirmed that it downloaded the file. That recipient and the sender each get an event.',
    },
  },
  {
    type: BrokerEventType.AllConfirmedDownloaded,
    audience: 'sender',
    retired: false,
    kind: 'broker',
    title: { nb: 'Alle mottakere har bekreftet nedlasting', en: 'All recipients confirmed the download' },
    description: {
      nb: 'Alle mottakere har bekreftet nedlasting. Filen kan bli slettet automatisk etter en frist.',
      en: 'Every recipient confirmed the download. The file may be purged automatically after a grace period.',
    },
  },
  {
    type: BrokerEventType.FileNeverConfirmedDownloaded,
    audience: 'both',
    retired: false,
    kind: 'broker',
    title: { nb: 'Nedlasting ble aldri bekreftet', en: 'Download never confirmed' },
    description: {
      nb: 'Filoverføringen utløp før en mottaker bekreftet nedlasting. Hver slik mottaker og avsenderen får en hendelse.',
      en: 'The file transfer expired before a recipient confirmed the download. Each such recipient and the sender get an event.',
    },
  },
  {
    type: BrokerEventType.FilePurged,
    audience: 'sender',
    retired: false,
    kind: 'broker',
    title: { nb: 'Fil slettet', en: 'File purged' },
    description: {
      nb: 'Filinnholdet er slettet fra Altinn, fordi overføringen utløp eller alle mottakere bekreftet nedlasting. Filen kan ikke lenger lastes ned.',
      en: 'The file content was deleted from Altinn, because the transfer expired or every recipient confirmed. It can no longer be downloaded.',
    },
  },
  {
    type: BrokerEventType.FileDeleted,
    audience: 'sender',
    retired: true,
    kind: 'broker',
    title: { nb: 'Fil slettet (utgått hendelsestype)', en: 'File deleted (retired event type)' },
    description: {
      nb: 'Eldre navn på «fil slettet» (filepurged), brukt fram til mai 2024. Sendes ikke lenger.',
      en: 'Old name of "file purged" (filepurged), used until May 2024. No longer emitted.',
    },
  },
  {
    type: VALIDATE_SUBSCRIPTION_TYPE,
    audience: 'both',
    retired: false,
    kind: 'handshake',
    title: { nb: 'Validering av abonnement', en: 'Subscription validation' },
    description: {
      nb: 'Altinn Events sender denne når et abonnement opprettes. Et 2xx-svar aktiverer abonnementet.',
      en: 'Altinn Events sends this when a subscription is created. A 2xx answer activates the subscription.',
    },
  },
];

/** Every type this project knows: the Broker types (incl. the retired one) and the handshake. Frozen. */
export const EVENT_CATALOG: readonly EventTypeInfo[] = Object.freeze(
  CATALOG_ENTRIES.map((info) =>
    Object.freeze({
      ...info,
      title: Object.freeze(info.title),
      description: Object.freeze(info.description),
    }),
  ),
);

const CATALOG_BY_TYPE: ReadonlyMap<string, EventTypeInfo> = new Map(EVENT_CATALOG.map((i) => [i.type, i]));

/** True when `type` starts with `no.altinn.broker.` in any letter case. */
export function isBrokerEventType(type: string): boolean {
  return (
    type.length > BROKER_TYPE_PREFIX.length &&
    type.slice(0, BROKER_TYPE_PREFIX.length).toLowerCase() === BROKER_TYPE_PREFIX
  );
}

/**
 * The canonical spelling of a type: lowercase for `no.altinn.broker.*` (the docs' `no.altinn.broker.Published`
 * is the same type as the emitted `no.altinn.broker.published`), unchanged for everything else.
 */
export function canonicalEventType(type: string): string {
  return isBrokerEventType(type) ? type.toLowerCase() : type;
}

/** True when the part after `no.altinn.broker.` is a plausible type name (letters, digits, `.`, `_`, `-`). */
export function isWellFormedBrokerType(type: string): boolean {
  return (
    isBrokerEventType(type) && BROKER_TYPE_SUFFIX.test(type.slice(BROKER_TYPE_PREFIX.length).toLowerCase())
  );
}

/** Catalog entry for a type; case-insensitive for `no.altinn.broker.*`, exact for everything else. */
export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  if (typeof type !== 'string') return undefined;
  return CATALOG_BY_TYPE.get(canonicalEventType(type));
}

/** The Broker types Altinn emits today (the catalog without the retired ones and the handshake). */
export const CURRENT_BROKER_EVENT_TYPES: readonly BrokerEventTypeName[] = Object.freeze(
  EVENT_CATALOG.filter((i) => i.kind === 'broker' && !i.retired).map((i) => i.type as BrokerEventTypeName),
);

/**
 * What the gateway does with an event: `broker` (a catalog Broker type), `broker-unknown` (a well-formed
 * `no.altinn.broker.*` type we do not know yet: accepted, so a new Broker type is never lost), `handshake`.
 */
export type EventKind = 'broker' | 'broker-unknown' | 'handshake';

/** The kind of a type string, or undefined for a type this gateway does not accept. */
export function eventKindOf(type: string): EventKind | undefined {
  if (type === VALIDATE_SUBSCRIPTION_TYPE) return 'handshake';
  if (!isWellFormedBrokerType(type)) return undefined;
  return CATALOG_BY_TYPE.has(type.toLowerCase()) ? 'broker' : 'broker-unknown';
}

/** True for the kinds that carry a Broker file-transfer event (all Altinn extension rules apply). */
export function isBrokerKind(kind: EventKind | undefined): kind is 'broker' | 'broker-unknown' {
  return kind === 'broker' || kind === 'broker-unknown';
}
