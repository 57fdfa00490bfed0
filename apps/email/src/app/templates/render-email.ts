import {
  type AltinnCloudEvent,
  RESOURCE_URN_PREFIX,
  eventRole,
  fileTransferId,
  organisationNumber,
} from '@broker-events/contracts';
import {
  EMAIL_TEMPLATES,
  type Language,
  LABELS,
  type TypeText,
  UNKNOWN_TYPE_TEMPLATE,
} from './email-templates';
import { html, plain } from './safe-text';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const LOCALES: Record<Language, string> = { nb: 'nb-NO', en: 'en-GB' };
// Made at the first mail, not at start-up: a formatter loads ICU's locale and time-zone data (~5 MB resident).
const timeFormats: Partial<Record<Language, Intl.DateTimeFormat>> = {};
const ZONE_NOTE: Record<Language, string> = { nb: 'norsk tid', en: 'Oslo time' };
const UNKNOWN: Record<Language, string> = { nb: 'ukjent', en: 'unknown' };

/** The event time in Europe/Oslo, e.g. "20. november 2026 kl. 10:00:12 (norsk tid)". */
export function osloTime(time: string | undefined, lang: Language): string {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  if (Number.isNaN(ms)) return UNKNOWN[lang];
  const format = (timeFormats[lang] ??= new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone: 'Europe/Oslo',
    dateStyle: 'long',
    timeStyle: 'medium',
  }));
  return `${format.format(new Date(ms))} (${ZONE_NOTE[lang]})`;
}

interface Fields {
  type: string;
  resource: string;
  fileTransferId: string;
  organisation: string;
  role: string;
  time: string;
  eventId: string;
}

function fields(event: AltinnCloudEvent, canonicalType: string, lang: Language): Fields {
  const resource = event.resource ?? '';
  const role = eventRole(event);
  return {
    type: plain(canonicalType, 120),
    resource:
      plain(
        resource.startsWith(RESOURCE_URN_PREFIX) ? resource.slice(RESOURCE_URN_PREFIX.length) : resource,
        120,
      ) || UNKNOWN[lang],
    fileTransferId: plain(fileTransferId(event) ?? event.resourceinstance, 120) || UNKNOWN[lang],
    organisation: plain(organisationNumber(event), 20) || UNKNOWN[lang],
    role: role ? LABELS[lang][role] : UNKNOWN[lang],
    time: osloTime(event.time, lang),
    eventId: plain(event.id, 200),
  };
}

/** Fills {placeholders}; values are already plain text. */
function fill(template: string, values: Fields): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in values ? values[name as keyof Fields] : '',
  );
}

function textFor(canonicalType: string, lang: Language): TypeText {
  return (EMAIL_TEMPLATES[canonicalType] ?? UNKNOWN_TYPE_TEMPLATE)[lang];
}

function rows(f: Fields, lang: Language): [string, string][] {
  const l = LABELS[lang];
  return [
    [l.fileTransferId, f.fileTransferId],
    [l.resource, f.resource],
    [l.role, f.role],
    [l.organisation, f.organisation],
    [l.time, f.time],
    [l.eventId, f.eventId],
  ];
}

function textPart(event: AltinnCloudEvent, canonicalType: string, lang: Language): string {
  const f = fields(event, canonicalType, lang);
  const t = textFor(canonicalType, lang);
  const width = Math.max(...rows(f, lang).map(([k]) => k.length));
  return [
    fill(t.subject, f),
    '',
    fill(t.happened, f),
    ...(t.next ? ['', fill(t.next, f)] : []),
    '',
    ...rows(f, lang).map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`),
    '',
    LABELS[lang].footer,
  ].join('\n');
}

function htmlPart(event: AltinnCloudEvent, canonicalType: string, lang: Language): string {
  const f = fields(event, canonicalType, lang);
  const t = textFor(canonicalType, lang);
  // Values in `f` are plain text; html() escapes them (and the template text) for HTML.
  const cell = 'style="text-align:left;padding:2px 12px 2px 0;vertical-align:top"';
  return [
    `<section lang="${lang}">`,
    `<h2 style="font-size:18px;margin:0 0 8px">${html(fill(t.subject, f))}</h2>`,
    `<p>${html(fill(t.happened, f), 2000)}</p>`,
    ...(t.next ? [`<p>${html(fill(t.next, f), 2000)}</p>`] : []),
    '<table role="presentation" style="border-collapse:collapse">',
    ...rows(f, lang).map(
      ([k, v]) => `<tr><th ${cell}>${html(k)}</th><td ${cell}><code>${html(v)}</code></td></tr>`,
    ),
    '</table>',
    `<p style="color:#666;font-size:12px">${html(LABELS[lang].footer)}</p>`,
    '</section>',
  ].join('\n');
}

/**
 * Subject, text and HTML for an event in one or two languages (bokmål first). Every event value is reduced to
 * one line of plain text before use and HTML-escaped in the HTML part, so no value can add a header, a line or
 * markup.
 */
export function renderEmail(
  event: AltinnCloudEvent,
  canonicalType: string,
  languages: readonly Language[],
): RenderedEmail {
  const langs = languages.length > 0 ? languages : (['nb'] as const);
  const subject = plain(
    `${LABELS[langs[0]].product}: ` +
      langs
        .map((lang) => fill(textFor(canonicalType, lang).subject, fields(event, canonicalType, lang)))
        .join(' / '),
    250,
  );
  const text = langs
    .map((lang) => textPart(event, canonicalType, lang))
    .join('\n\n----------------------------------------\n\n');
  const body = langs.map((lang) => htmlPart(event, canonicalType, lang)).join('\n<hr>\n');
  const page = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${html(subject)}</title></head>\n<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#111">\n${body}\n</body></html>`;
  return { subject, text, html: page };
}
