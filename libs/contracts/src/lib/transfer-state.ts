import { AltinnCloudEvent } from './cloud-event';
import { BrokerEventType, Role, canonicalEventType, eventTypeInfo } from './event-types';
import { eventRole, organisationNumber } from './parse';
import { TransferPhase, TransferState } from './read-model';

/**
 * The part of an event that {@link deriveTransferState} reads. An {@link AltinnCloudEvent} is one; so is the JSON
 * an archive stored.
 */
export type TransferEventInput = Pick<
  AltinnCloudEvent,
  'type' | 'time' | 'subject' | 'alternativesubject' | 'data'
>;

/** The phase each Broker type puts a transfer in (a confirmation by one recipient keeps it published). */
const PHASE_OF: Readonly<Record<string, TransferPhase>> = {
  [BrokerEventType.FileTransferInitialized]: 'initialized',
  [BrokerEventType.UploadProcessing]: 'uploadprocessing',
  [BrokerEventType.UploadFailed]: 'uploadfailed',
  [BrokerEventType.Published]: 'published',
  [BrokerEventType.DownloadConfirmed]: 'published',
  [BrokerEventType.AllConfirmedDownloaded]: 'allconfirmed',
  [BrokerEventType.FileNeverConfirmedDownloaded]: 'neverconfirmed',
  [BrokerEventType.FilePurged]: 'purged',
  [BrokerEventType.FileDeleted]: 'purged',
};

/**
 * How far along the Broker's life cycle a phase is. Altinn Events does not keep order (REFERENCE §4), so a late
 * `uploadprocessing` must not move a published transfer back: the furthest phase wins, and among phases of the
 * same rank (allconfirmed / neverconfirmed, uploadfailed / published) the one with the later time.
 */
const RANK: Readonly<Record<TransferPhase, number>> = {
  initialized: 0,
  uploadprocessing: 1,
  uploadfailed: 2,
  published: 2,
  allconfirmed: 3,
  neverconfirmed: 3,
  purged: 4,
};

function timeOf(e: TransferEventInput): number {
  const ms = e.time === undefined ? NaN : Date.parse(e.time);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/**
 * Whose copy an event is. `data.Role` when present; otherwise a sender-only type is the sender's, and for a type
 * both parties get, a copy addressed to the sender's organisation is the sender's and any other a recipient's.
 */
function roleOf(e: TransferEventInput, type: string, sender: string | undefined): Role | undefined {
  const role = eventRole(e);
  if (role !== undefined) return role;
  const audience = eventTypeInfo(type)?.audience;
  if (audience === 'sender') return 'Sender';
  if (audience === 'recipient') return 'Recipient';
  const org = organisationNumber(e);
  if (org === undefined || sender === undefined) return undefined;
  return org === sender ? 'Sender' : 'Recipient';
}

const sorted = (set: Set<string>): string[] => [...set].sort();

/**
 * Where a file transfer is, from the events we received about it, in any order (duplicates are harmless).
 *
 * What we can know depends on whose copies we receive (REFERENCE §7): the **sender** gets initialized,
 * uploadprocessing/uploadfailed, its own `published`, one `downloadconfirmed` per confirming recipient (addressed to
 * the sender, so it does not say who), `allconfirmeddownloaded`, one `fileneverconfirmeddownloaded` and `filepurged`;
 * a **recipient** gets only its own `published`, `downloadconfirmed` and `fileneverconfirmeddownloaded`. So
 * `recipients`, `confirmed` and `neverConfirmed` hold the organisations whose *recipient* copies we saw (subject
 * `urn:altinn:organization:identifier-no:<orgnr>` or the legacy `/organisation/<orgnr>`); a sender-only view has
 * none of them and learns "everyone confirmed" only from `allconfirmeddownloaded`. Types outside the Broker
 * catalog (a new type, the handshake) are ignored. With no Broker event at all the phase is `initialized`.
 */
export function deriveTransferState(events: readonly TransferEventInput[]): TransferState {
  const broker = events
    .map((e, index) => ({ e, index, type: canonicalEventType(e.type), at: timeOf(e) }))
    .filter((x) => PHASE_OF[x.type] !== undefined);

  let sender: string | undefined;
  for (const { e, type } of broker) {
    const explicit = eventRole(e);
    const senderOnly = eventTypeInfo(type)?.audience === 'sender';
    if (explicit === 'Sender' || (explicit === undefined && senderOnly)) {
      sender = organisationNumber(e) ?? sender;
      if (sender !== undefined) break;
    }
  }

  let phase: TransferPhase = 'initialized';
  let phaseAt = -Infinity;
  let publishedAt: { at: number; time: string } | undefined;
  const recipients = new Set<string>();
  const confirmed = new Set<string>();
  const neverConfirmed = new Set<string>();

  for (const { e, type, at } of broker) {
    const next = PHASE_OF[type];
    if (RANK[next] > RANK[phase] || (RANK[next] === RANK[phase] && at >= phaseAt)) {
      phase = next;
      phaseAt = at;
    }
    if (type === BrokerEventType.Published && e.time !== undefined && (!publishedAt || at < publishedAt.at)) {
      publishedAt = { at, time: e.time };
    }
    const org = organisationNumber(e);
    if (org === undefined || roleOf(e, type, sender) !== 'Recipient') continue;
    recipients.add(org);
    if (type === BrokerEventType.DownloadConfirmed) confirmed.add(org);
    if (type === BrokerEventType.FileNeverConfirmedDownloaded) neverConfirmed.add(org);
  }

  return {
    phase,
    recipients: sorted(recipients),
    confirmed: sorted(confirmed),
    neverConfirmed: sorted(neverConfirmed),
    publishedAt: publishedAt?.time ?? null,
  };
}

/**
 * True when a transfer still waits for a download confirmation: published, and not every recipient we know of has
 * confirmed (a sender-only view knows no recipients, so it waits until `allconfirmeddownloaded`).
 */
export function awaitsConfirmation(state: TransferState): boolean {
  if (state.phase !== 'published') return false;
  if (state.recipients.length === 0) return true;
  return !state.recipients.every((r) => state.confirmed.includes(r));
}
