import type { SlackDestination } from '@broker-events/app-config';
import { PermanentDeliveryError, TransientDeliveryError, parseRetryAfter } from '@broker-events/messaging';
import type { SlackMessage } from './slack-blocks';

/** chat.postMessage errors worth retrying: Slack's own trouble, rate limits, and credentials an operator can fix. */
const TRANSIENT_API_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'team_access_not_granted',
]);

const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Posts one message, following Slack's documented contract:
 * - incoming webhook: 200 `ok`; 429 with Retry-After; 400 `invalid_payload`, 403 `action_prohibited`,
 *   404 `no_service`/`channel_not_found`, 410 `channel_is_archived` (permanent); 5xx (transient).
 * - chat.postMessage: HTTP 200 with `{ok:true}` or `{ok:false, error}`; HTTP 429 with Retry-After.
 * 429 and 5xx are transient (429 carries Retry-After); other 4xx are permanent.
 */
export class SlackClient {
  constructor(
    readonly destination: SlackDestination,
    private readonly timeoutMs: number,
  ) {}

  /** The pacing key: one channel per webhook, else the configured channel. */
  get channelKey(): string {
    return this.destination.kind === 'webhook' ? 'webhook' : this.destination.channel;
  }

  async post(message: SlackMessage): Promise<void> {
    const d = this.destination;
    let response: Response;
    try {
      response =
        d.kind === 'webhook'
          ? await fetch(d.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ text: message.text, blocks: message.blocks }),
              signal: AbortSignal.timeout(this.timeoutMs),
            })
          : await fetch(`${d.baseUrl.replace(/\/$/, '')}/chat.postMessage`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json; charset=utf-8',
                authorization: `Bearer ${d.token}`,
              },
              body: JSON.stringify({
                channel: d.channel,
                text: message.text,
                blocks: message.blocks,
                unfurl_links: false,
                unfurl_media: false,
              }),
              signal: AbortSignal.timeout(this.timeoutMs),
            });
    } catch (error) {
      throw new TransientDeliveryError(
        `Slack unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const body = (await response.text().catch(() => '')).slice(0, 500);
    if (response.status === 429) {
      throw new TransientDeliveryError(
        `Slack 429 rate limited`,
        parseRetryAfter(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_MS,
      );
    }
    if (response.status >= 500)
      throw new TransientDeliveryError(`Slack ${response.status}: ${oneWord(body)}`);
    if (response.status >= 400)
      throw new PermanentDeliveryError(`Slack ${response.status}: ${oneWord(body)}`);
    if (d.kind === 'webhook') return;
    let parsed: { ok?: unknown; error?: unknown };
    try {
      parsed = JSON.parse(body) as { ok?: unknown; error?: unknown };
    } catch {
      throw new TransientDeliveryError(`Slack answered ${response.status} with a body that is not JSON`);
    }
    if (parsed.ok === true) return;
    const error = typeof parsed.error === 'string' ? parsed.error : 'unknown_error';
    if (TRANSIENT_API_ERRORS.has(error)) {
      throw new TransientDeliveryError(
        `Slack chat.postMessage: ${error}`,
        error.startsWith('rate') ? DEFAULT_RETRY_AFTER_MS : undefined,
      );
    }
    throw new PermanentDeliveryError(`Slack chat.postMessage: ${error}`);
  }
}

function oneWord(body: string): string {
  return body.replace(/\s+/g, ' ').trim().slice(0, 200) || '(empty)';
}
