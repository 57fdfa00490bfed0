import type { DeliveryReport, TransferState } from '@broker-events/contracts';
import type { Lang, Texts } from './i18n';

/** Every time the console shows is Norwegian time, whatever the server's or the browser's zone. */
export const ZONE = 'Europe/Oslo';

const formatters = new Map<Lang, Intl.DateTimeFormat>();

function formatter(lang: Lang): Intl.DateTimeFormat {
  let f = formatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'nb' ? 'nb-NO' : 'en-GB', {
      timeZone: ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(lang, f);
  }
  return f;
}

/** `01.12.2026, 11:41:01` (nb) or `01/12/2026, 11:41:01` (en), in Oslo time; '' for null or an invalid time. */
export function formatTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatter(lang).format(d);
}

/** Oslo's offset from UTC at `utcMs`, in milliseconds (+1 h in winter, +2 h in summer). */
function osloOffsetMs(utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * A `<input type="datetime-local">` value (`2026-12-01T10:30`), read as Oslo time, as an RFC 3339 UTC string;
 * undefined when it is not such a value.
 */
export function osloLocalToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  let utc = wall - osloOffsetMs(wall);
  utc = wall - osloOffsetMs(utc);
  const date = new Date(utc);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A duration in whole hours or days, for headings ("24 hours", "2 days"). */
export function formatDuration(seconds: number, lang: Lang): string {
  const nb = lang === 'nb';
  if (seconds % 86400 === 0) {
    const d = seconds / 86400;
    return nb ? `${d} døgn` : `${d} day${d === 1 ? '' : 's'}`;
  }
  if (seconds % 3600 === 0) {
    const h = seconds / 3600;
    return nb ? `${h} time${h === 1 ? '' : 'r'}` : `${h} hour${h === 1 ? '' : 's'}`;
  }
  const m = Math.round(seconds / 60);
  return nb ? `${m} min` : `${m} min`;
}

/** The derived state in words: "published, 1 of 2 recipients confirmed", "never confirmed: recipient 312000008". */
export function describeState(state: TransferState, t: Texts): string {
  const total = state.recipients.length;
  switch (state.phase) {
    case 'published':
      return total > 0
        ? `${t.statePhase.published}, ${t.confirmedOf(state.confirmed.length, total)}`
        : t.statePhase.published;
    case 'allconfirmed':
      return total > 0
        ? `${t.statePhase.published}, ${t.confirmedOf(state.confirmed.length, total)}`
        : t.statePhase.allconfirmed;
    case 'neverconfirmed': {
      const never =
        state.neverConfirmed.length > 0
          ? state.neverConfirmed
          : state.recipients.filter((r) => !state.confirmed.includes(r));
      return never.length > 0 ? t.neverConfirmedBy(never.join(', ')) : t.statePhase.neverconfirmed;
    }
    default:
      return t.statePhase[state.phase] ?? state.phase;
  }
}

/** One consumer's report in words: "email: done — emailed to ops@example.no", "slack: failed, will retry (attempt 2) because 503". */
export function describeDelivery(report: DeliveryReport, t: Texts): string {
  const outcome = t.outcome[report.outcome] ?? report.outcome;
  const parts = [`${report.consumer}: ${outcome}`];
  if (report.detail) parts.push(`— ${report.detail}`);
  if (report.attempt > 1 || report.outcome === 'retry' || report.outcome === 'dead-lettered')
    parts.push(`(${t.attemptN(report.attempt)})`);
  if (report.error) parts.push(`${t.because} ${report.error}`);
  return parts.join(' ');
}

/** The last segment of a resource URN (`urn:altinn:resource:x` → `x`). */
export function shortResource(resource: string | null): string {
  if (!resource) return '';
  const i = resource.lastIndexOf(':');
  return i >= 0 ? resource.slice(i + 1) : resource;
}
