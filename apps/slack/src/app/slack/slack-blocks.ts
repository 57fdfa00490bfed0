import {
  type AltinnCloudEvent,
  BrokerEventType,
  RESOURCE_URN_PREFIX,
  eventRole,
  eventTypeInfo,
  fileTransferId,
  organisationNumber,
} from '@broker-events/contracts';
import { code, oneLine, words } from './slack-text';

export type SlackLanguage = 'nb' | 'en';

/** A Block Kit message: `text` is the notification fallback, `blocks` what people see. */
export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** One look per event type: an emoji that says at a glance whether something needs attention. */
export const SLACK_TYPE_STYLE: Readonly<Record<string, { emoji: string; attention: boolean }>> = {
  [BrokerEventType.FileTransferInitialized]: { emoji: ':new:', attention: false },
  [BrokerEventType.UploadProcessing]: { emoji: ':hourglass_flowing_sand:', attention: false },
  [BrokerEventType.UploadFailed]: { emoji: ':x:', attention: true },
  [BrokerEventType.Published]: { emoji: ':package:', attention: false },
  [BrokerEventType.DownloadConfirmed]: { emoji: ':white_check_mark:', attention: false },
  [BrokerEventType.AllConfirmedDownloaded]: { emoji: ':tada:', attention: false },
  [BrokerEventType.FileNeverConfirmedDownloaded]: { emoji: ':warning:', attention: true },
  [BrokerEventType.FilePurged]: { emoji: ':wastebasket:', attention: false },
  [BrokerEventType.FileDeleted]: { emoji: ':wastebasket:', attention: false },
};

const LABELS = {
  nb: {
    fileTransfer: 'Filoverføring',
    resource: 'Ressurs',
    role: 'Rolle',
    organisation: 'Organisasjon',
    time: 'Tidspunkt',
    Sender: 'Avsender',
    Recipient: 'Mottaker',
    unknownType: 'Ukjent hendelsestype',
    event: 'Hendelse',
    zone: 'norsk tid',
  },
  en: {
    fileTransfer: 'File transfer',
    resource: 'Resource',
    role: 'Role',
    organisation: 'Organisation',
    time: 'Time',
    Sender: 'Sender',
    Recipient: 'Recipient',
    unknownType: 'Unknown event type',
    event: 'Event',
    zone: 'Oslo time',
  },
} as const;

const LOCALES: Record<SlackLanguage, string> = { nb: 'nb-NO', en: 'en-GB' };
// Made at the first message, not at start-up: a formatter loads ICU's locale and time-zone data (~5 MB resident).
const timeFormats: Partial<Record<SlackLanguage, Intl.DateTimeFormat>> = {};

function when(time: string | undefined, lang: SlackLanguage): string {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  if (Number.isNaN(ms)) return '–';
  const format = (timeFormats[lang] ??= new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Oslo',
    dateStyle: 'medium',
    timeStyle: 'medium',
  }));
  return `${format.format(new Date(ms))} (${LABELS[lang].zone})`;
}

/**
 * The Block Kit message for an event: a header with the type's emoji and title, one sentence on what happened,
 * the key fields, and a context line with the type and event id. Not the raw JSON Altinn's own Slack forwarding
 * posts. Every value is escaped (see slack-text.ts).
 */
export function slackMessage(
  event: AltinnCloudEvent,
  canonicalType: string,
  lang: SlackLanguage,
): SlackMessage {
  const info = eventTypeInfo(canonicalType);
  const style = SLACK_TYPE_STYLE[canonicalType] ?? { emoji: ':grey_question:', attention: false };
  const l = LABELS[lang];
  const title = info ? info.title[lang] : `${l.unknownType}: ${oneLine(canonicalType, 100)}`;
  const resource = event.resource?.startsWith(RESOURCE_URN_PREFIX)
    ? event.resource.slice(RESOURCE_URN_PREFIX.length)
    : event.resource;
  const role = eventRole(event);
  const header = `${style.emoji} ${oneLine(title, 140)}`;
  const fields = [
    [l.fileTransfer, code(fileTransferId(event) ?? event.resourceinstance, 100)],
    [l.resource, code(resource, 150)],
    [l.role, role ? l[role] : '–'],
    [l.organisation, code(organisationNumber(event), 20)],
    [l.time, words(when(event.time, lang))],
  ];
  const blocks: Record<string, unknown>[] = [
    // plain_text is shown verbatim (no links, no mentions), so the header only needs to be one line.
    { type: 'header', text: { type: 'plain_text', text: header.slice(0, 150), emoji: true } },
    ...(info
      ? [{ type: 'section', text: { type: 'mrkdwn', text: words(info.description[lang], 2000) } }]
      : []),
    { type: 'section', fields: fields.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })) },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${code(canonicalType, 100)} · ${l.event} ${code(event.id, 100)}` }],
    },
  ];
  const fallback = `${oneLine(title, 140)}: ${oneLine(resource, 100) || '–'} (${oneLine(fileTransferId(event) ?? event.resourceinstance, 100) || '–'})`;
  return { text: words(fallback, 300), blocks };
}
