import { WEBHOOK_PATH } from '@broker-events/app-config';
import { BlockList, isIP } from 'node:net';
import { hash, timingSafeEqual } from 'node:crypto';

/** The route is declared with the gateway's config, where deploy-check reads it for the Ingress. */
export { WEBHOOK_PATH };

/**
 * Decides whether a webhook request may post: a known token (constant-time comparison against every
 * configured token, so rotation can keep two valid) and, when configured, a source address inside the
 * allow-list. It never says which check failed.
 */
export class WebhookAuthenticator {
  private readonly digests: Buffer[];
  private readonly allowList?: BlockList;

  constructor(tokens: string[], allowedCidrs: string[]) {
    this.digests = tokens.map(digest);
    if (allowedCidrs.length > 0) {
      const list = new BlockList();
      for (const cidr of allowedCidrs) {
        const [addr, bits] = cidr.split('/');
        const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
        if (bits === undefined) list.addAddress(addr, family);
        else list.addSubnet(addr, Number(bits), family);
      }
      this.allowList = list;
    }
  }

  tokenAccepted(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate.length === 0 || candidate.length > 512) return false;
    const d = digest(candidate);
    let ok = false;
    // Compare against every token without short-circuiting, so timing does not tell how many exist or which matched.
    for (const known of this.digests) ok = timingSafeEqual(known, d) || ok;
    return ok;
  }

  sourceAllowed(ip: string | undefined): boolean {
    if (!this.allowList) return true;
    if (!ip) return false;
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const addr = v4mapped ? v4mapped[1] : ip;
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    return this.allowList.check(addr, family);
  }

  /**
   * Extracts the token from a raw request URL (path segment after WEBHOOK_PATH, or `code` in the query).
   * Returns `undefined` when the URL is not a webhook URL.
   */
  static tokenFromUrl(rawUrl: string): { webhook: boolean; token?: string } {
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (path !== WEBHOOK_PATH && !path.startsWith(WEBHOOK_PATH + '/')) return { webhook: false };
    const rest = path.slice(WEBHOOK_PATH.length + 1);
    if (rest.length > 0) {
      if (rest.includes('/')) return { webhook: true };
      try {
        return { webhook: true, token: decodeURIComponent(rest) };
      } catch {
        return { webhook: true };
      }
    }
    if (q === -1) return { webhook: true };
    const code = new URLSearchParams(rawUrl.slice(q + 1)).getAll('code');
    return { webhook: true, token: code.length === 1 ? code[0] : undefined };
  }
}

function digest(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}

/** The URL as it may be logged: the token replaced. */
export function redactWebhookUrl(rawUrl: string): string {
  const { webhook } = WebhookAuthenticator.tokenFromUrl(rawUrl);
  if (!webhook) return rawUrl.split('?')[0];
  return rawUrl.startsWith(WEBHOOK_PATH + '/')
    ? `${WEBHOOK_PATH}/[redacted]`
    : `${WEBHOOK_PATH}?code=[redacted]`;
}
