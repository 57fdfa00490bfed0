import { randomUUID } from 'node:crypto';
import { VALIDATE_SUBSCRIPTION_TYPE } from '@broker-events/contracts';
import type { AltinnClient, FetchLike } from '@broker-events/altinn-client';
import { planSubscriptions } from './plan';
import { type SubscriptionsFile, redactEndpoint } from './spec-file';

export interface DoctorCheck {
  check: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** How to fix it, when not ok. */
  fix?: string;
}

export interface DoctorOptions {
  /** Send the handshake probe here instead of the endpoint's own origin (a port-forward, say); path kept. */
  via?: string;
  /** The poller's base URL (its /metrics): checks that no resource is stalled. */
  pollerUrl?: string;
  acceptedTokens: string[];
  fetch?: FetchLike;
  timeoutMs?: number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One command that checks what an operator would otherwise check by hand: tokens can be fetched, every
 * subscription the file asks for exists and is validated (and no orphan is left), the gateway answers Altinn's
 * validation handshake from outside, and the poller's cursors move.
 */
export async function runDoctor(
  altinn: AltinnClient,
  file: SubscriptionsFile,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  try {
    await altinn.tokens.token();
    checks.push({ check: 'tokens', ok: true, detail: `an Altinn token was fetched (${altinn.authMode})` });
  } catch (error) {
    checks.push({
      check: 'tokens',
      ok: false,
      detail: message(error),
      fix: 'check the Maskinporten client (id, key id, private key, scope altinn:events.subscribe) and that the token exchange works',
    });
    return checks; // nothing else can be checked without a token
  }

  try {
    const existing = await altinn.events.listSubscriptions();
    const plan = planSubscriptions(file.requests, existing, options.acceptedTokens);
    for (const r of plan.create) {
      checks.push({
        check: 'subscription',
        ok: false,
        detail: `missing: ${r.resourceFilter} ${r.typeFilter ?? '(every type)'} → ${redactEndpoint(r.endPoint)}`,
        fix: 'run: npm run subscriptions -- ensure --wait 300',
      });
    }
    for (const { subscription: s } of plan.keep) {
      checks.push(
        s.validated
          ? {
              check: 'subscription',
              ok: true,
              detail: `#${s.id} ${s.resourceFilter} ${s.typeFilter ?? '(every type)'} is validated`,
            }
          : {
              check: 'subscription',
              ok: false,
              detail: `#${s.id} ${s.resourceFilter} ${s.typeFilter ?? '(every type)'} is NOT validated: Altinn pushes nothing to it`,
              fix: 'make the gateway answer the handshake (see the handshake check), then run ensure again to re-send it',
            },
      );
    }
    for (const s of plan.orphans) {
      checks.push({
        check: 'subscription',
        ok: false,
        detail: `#${s.id} points at our gateway with a token it no longer accepts (${redactEndpoint(s.endPoint)})`,
        fix: 'run: npm run subscriptions -- delete --orphans --yes',
      });
    }
  } catch (error) {
    checks.push({
      check: 'subscription',
      ok: false,
      detail: message(error),
      fix: 'check the scope altinn:events.subscribe',
    });
  }

  for (const endPoint of [...new Set(file.requests.map((r) => r.endPoint))]) {
    let target = endPoint;
    if (options.via) {
      const u = new URL(endPoint);
      target = `${options.via.replace(/\/+$/, '')}${u.pathname}${u.search}`;
    }
    const shown = redactEndpoint(endPoint);
    try {
      const res = await fetchFn(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: 'https://platform.altinn.no/events/api/v1/subscriptions/0',
          type: VALIDATE_SUBSCRIPTION_TYPE,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.text(); // read to the end, so the connection is free again
      checks.push(
        res.ok
          ? { check: 'handshake', ok: true, detail: `${shown} answered ${res.status}` }
          : {
              check: 'handshake',
              ok: false,
              detail: `${shown} answered ${res.status} to the validation handshake`,
              fix:
                res.status === 401 || res.status === 404
                  ? "the path token is not one the gateway accepts: compare the file's endpoint with the gateway's WEBHOOK_TOKENS"
                  : res.status === 403
                    ? "the gateway's source-address allow-list refused us; behind a load balancer check TRUSTED_PROXY_HOPS / client-IP preservation"
                    : 'check the gateway logs',
            },
      );
    } catch (error) {
      checks.push({
        check: 'handshake',
        ok: false,
        detail: `${shown} could not be reached: ${message(error)}`,
        fix: 'the endpoint must be reachable over https with a publicly trusted certificate',
      });
    }
  }

  if (options.pollerUrl === undefined) {
    checks.push({ check: 'poller', ok: true, detail: 'skipped (give --poller-url to check the cursors)' });
  } else {
    try {
      const res = await fetchFn(`${options.pollerUrl.replace(/\/+$/, '')}/metrics`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
      const stalled = [...text.matchAll(/^poller_stalled\{[^}]*resource="([^"]+)"[^}]*\} 1$/gm)].map(
        (m) => m[1],
      );
      const known = [...text.matchAll(/^poller_stalled\{[^}]*resource="([^"]+)"/gm)].length;
      if (known === 0) {
        checks.push({
          check: 'poller',
          ok: false,
          detail: 'the poller exposes no poller_stalled series',
          fix: 'is this the poller, and is POLL_STALL_AFTER_SECONDS above 0?',
        });
      }
      for (const resource of stalled)
        checks.push({
          check: 'poller',
          ok: false,
          detail: `the cursor of ${resource} has not moved for POLL_STALL_AFTER_SECONDS`,
          fix: 'check POLL_ORGANISATION_NUMBER (the subject filter) and that the organisation may read the resource; the poller log names the cause',
        });
      if (known > 0 && stalled.length === 0)
        checks.push({ check: 'poller', ok: true, detail: `${known} resource cursor(s) moving` });
    } catch (error) {
      checks.push({
        check: 'poller',
        ok: false,
        detail: `cannot read the poller's metrics: ${message(error)}`,
        fix: 'give the poller base URL (e.g. a port-forward to its port 8080)',
      });
    }
  }
  return checks;
}
