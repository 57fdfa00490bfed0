import { BlockList, isIP } from 'node:net';

/** Addresses that are never Altinn's: private, shared (CGNAT), loopback and link-local ranges. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['::1', 128],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6');

export function isInternalAddress(ip: string): boolean {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = v4mapped ? v4mapped[1] : ip;
  const family = isIP(addr);
  if (family === 0) return false;
  return INTERNAL.check(addr, family === 6 ? 'ipv6' : 'ipv4');
}

export interface Refusal {
  /** The address the allow-list was checked against (after TRUSTED_PROXY_HOPS). */
  address: string;
  /** The X-Forwarded-For header as it arrived, if any. */
  forwardedFor?: string;
}

/** What to tell an operator about a refused source address. */
export function refusalHint(refusal: Refusal, trustedProxyHops: number): string {
  const seen = `the gateway saw ${refusal.address}, which is not in ALLOWED_SOURCE_CIDRS`;
  if (refusal.forwardedFor && trustedProxyHops === 0)
    return `${seen}; the request came with X-Forwarded-For "${refusal.forwardedFor}" but TRUSTED_PROXY_HOPS is 0, so the proxy's address was checked. Set TRUSTED_PROXY_HOPS to the number of proxies in front of the gateway.`;
  if (isInternalAddress(refusal.address))
    return `${seen}. It is an internal address, so it is most likely the load balancer or ingress, not Altinn: set TRUSTED_PROXY_HOPS to the number of proxies that append X-Forwarded-For, or preserve client addresses (a Service with externalTrafficPolicy: Local). Until then every push, the subscription handshake included, is refused.`;
  return `${seen}. Altinn pushes from 20.100.24.41 (TT02) and 20.100.46.139 (production).`;
}

/**
 * Remembers refusals by the source allow-list so that an allow-list refusing everything (the classic
 * cause: the address checked is the load balancer's) is visible in the readiness answer and the log
 * before Altinn gives up on the subscription, without letting a stranger flood the log.
 */
export class SourceRefusals {
  private last?: Refusal & { at: number };
  private lastAllowedAt = 0;
  private count = 0;
  private readonly loggedAt = new Map<string, number>();

  constructor(
    private readonly trustedProxyHops: number,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  allowed(): void {
    this.lastAllowedAt = this.now();
  }

  /** Records a refusal; returns the hint to log, or undefined when this address was logged recently. */
  refused(refusal: Refusal): string | undefined {
    const now = this.now();
    if (!this.last || now - this.last.at > this.windowMs) this.count = 0;
    this.count++;
    this.last = { ...refusal, at: now };
    const logged = this.loggedAt.get(refusal.address);
    if (logged !== undefined && now - logged < 60_000) return undefined;
    if (this.loggedAt.size >= 100) this.loggedAt.clear();
    this.loggedAt.set(refusal.address, now);
    return refusalHint(refusal, this.trustedProxyHops);
  }

  /** A readiness note while requests were refused inside the window and none was allowed since. */
  note(): string | undefined {
    const last = this.last;
    if (!last || this.now() - last.at > this.windowMs || this.lastAllowedAt > last.at) return undefined;
    return `${this.count} webhook request(s) refused by ALLOWED_SOURCE_CIDRS in the last ${Math.round(this.windowMs / 60_000)} min and none allowed since: ${refusalHint(last, this.trustedProxyHops)}`;
  }
}
