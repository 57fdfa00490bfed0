import { HEADERS, type Violation, quarantineViolations } from '@broker-events/contracts';
import type { StoredRecord } from '@broker-events/messaging';

/** A quarantined body as the console shows it. */
export interface QuarantinedBody {
  receivedAt: string | null;
  violations: Violation[];
  bodyExcerpt: string;
}

const MAX_EXCERPT = 400;

export function toQuarantined(r: StoredRecord): QuarantinedBody {
  const text = r.value.toString('utf8');
  return {
    receivedAt:
      r.headers[HEADERS.quarantineReceivedAt] ??
      (r.timestamp ? new Date(Number(r.timestamp)).toISOString() : null),
    violations: quarantineViolations(r.headers),
    bodyExcerpt: text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT)}…` : text,
  };
}
