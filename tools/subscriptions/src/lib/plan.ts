import type { SubscriptionRequest } from '@broker-events/contracts';
import type { Subscription } from '@broker-events/altinn-client';
import { requestKey } from './spec-file';

export interface SubscriptionPlan {
  /** Wanted and missing: `ensure` creates these. */
  create: SubscriptionRequest[];
  /** Wanted and present. */
  keep: { request: SubscriptionRequest; subscription: Subscription }[];
  /** Present at Altinn but not in the file: left alone (ensure never deletes). */
  unmanaged: Subscription[];
  /**
   * Of `unmanaged`: pushing to our gateway (an endpoint of the file, but for the last path segment) with a
   * token the gateway no longer accepts. Altinn gets 401 for every push and retries each event ~12 times.
   */
  orphans: Subscription[];
}

/** `origin + path without its last segment` of a webhook URL: where our gateway takes its tokens. */
function gatewayBase(endPoint: string): { base: string; token: string } | undefined {
  try {
    const url = new URL(endPoint);
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments.length === 0) return undefined;
    return { base: `${url.origin}/${segments.slice(0, -1).join('/')}`, token: segments[segments.length - 1] };
  } catch {
    return undefined;
  }
}

/**
 * Subscriptions that point at one of our gateways (same origin and path as an endpoint of the file) with a
 * path token that is neither in the file's endpoints nor in `acceptedTokens` (the gateway's WEBHOOK_TOKENS,
 * when given): what a token rotation leaves behind.
 */
export function findOrphans(
  wanted: readonly SubscriptionRequest[],
  existing: readonly Subscription[],
  acceptedTokens: readonly string[] = [],
): Subscription[] {
  const bases = new Set<string>();
  const accepted = new Set(acceptedTokens);
  for (const r of wanted) {
    const g = gatewayBase(r.endPoint);
    if (!g) continue;
    bases.add(g.base);
    accepted.add(g.token);
  }
  return existing.filter((s) => {
    const g = gatewayBase(s.endPoint);
    return g !== undefined && bases.has(g.base) && !accepted.has(g.token);
  });
}

export function subscriptionKey(s: Subscription): string {
  return requestKey({
    endPoint: s.endPoint,
    resourceFilter: s.resourceFilter,
    subjectFilter: s.subjectFilter,
    typeFilter: s.typeFilter,
    includeSubunits: s.includeSubunits ?? false,
  });
}

/**
 * Compares the wanted requests with what Altinn has, field by field as Altinn's own duplicate check does
 * (endpoint, resource, subject, type, includeSubunits). A changed field means a new subscription: Altinn has
 * no update, and deleting the old one is left to an explicit `delete` (Altinn caches subscriptions for an
 * hour, so a delete-and-recreate would lose or double events for that long).
 */
export function planSubscriptions(
  wanted: readonly SubscriptionRequest[],
  existing: readonly Subscription[],
  acceptedTokens: readonly string[] = [],
): SubscriptionPlan {
  const byKey = new Map<string, Subscription>();
  for (const s of [...existing].sort((a, b) => a.id - b.id))
    if (!byKey.has(subscriptionKey(s))) byKey.set(subscriptionKey(s), s);
  const plan: SubscriptionPlan = { create: [], keep: [], unmanaged: [], orphans: [] };
  const used = new Set<number>();
  for (const request of wanted) {
    const found = byKey.get(requestKey({ ...request, includeSubunits: request.includeSubunits ?? false }));
    if (found) {
      plan.keep.push({ request, subscription: found });
      used.add(found.id);
    } else {
      plan.create.push(request);
    }
  }
  plan.unmanaged = existing.filter((s) => !used.has(s.id));
  plan.orphans = findOrphans(wanted, plan.unmanaged, acceptedTokens);
  return plan;
}

export interface ValidationWarning {
  subscription: Subscription;
  minutesSinceCreated: number;
}

/** Subscriptions still not validated `graceMinutes` after their `created` time. */
export function unvalidatedTooLong(
  subscriptions: readonly Subscription[],
  graceMinutes: number,
  now: Date,
): ValidationWarning[] {
  const out: ValidationWarning[] = [];
  for (const s of subscriptions) {
    if (s.validated) continue;
    const created = s.created ? Date.parse(s.created) : Number.NaN;
    // Without a readable creation time the age is unknown: warn, since it may be old.
    const minutes = Number.isNaN(created) ? Number.POSITIVE_INFINITY : (now.getTime() - created) / 60_000;
    if (minutes >= graceMinutes) out.push({ subscription: s, minutesSinceCreated: minutes });
  }
  return out;
}
