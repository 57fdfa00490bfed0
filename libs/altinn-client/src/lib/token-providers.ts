import type { KeyObject } from 'node:crypto';
import { nodeFetch } from './node-fetch';
import { AltinnApiError } from './errors';
import { DEFAULT_TIMEOUT_MS, type FetchLike, readJson, readText, send } from './http';
import { jwtExpiry, signGrant } from './jwt';

/** Something that hands out a bearer token, fetching a new one when the cached one is about to expire. */
export interface TokenProvider {
  token(): Promise<string>;
  /** Forget the cached token (after a 401), so the next call fetches a fresh one. */
  invalidate(): void;
}

/** Shared caching: one fetch at a time, the result kept until `refreshSkewMs` before it expires. */
abstract class CachingTokenProvider implements TokenProvider {
  private cached?: { token: string; refreshAt: number };
  private inflight?: Promise<string>;

  constructor(
    protected readonly refreshSkewMs: number,
    protected readonly now: () => number,
  ) {}

  protected abstract fetchToken(): Promise<{ token: string; expiresAt: number }>;

  token(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (!this.inflight) {
      this.inflight = this.fetchToken()
        .then(({ token, expiresAt }) => {
          // Never cache for less than a second, so a token that is already almost expired is still used once.
          this.cached = { token, refreshAt: Math.max(this.now() + 1000, expiresAt - this.refreshSkewMs) };
          return token;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}

export interface MaskinportenGrantOptions {
  /** Token endpoint, e.g. `https://test.maskinporten.no/token`. */
  tokenUrl: string;
  /** The `aud` of the grant: Maskinporten's issuer, e.g. `https://test.maskinporten.no/`. */
  audience: string;
  clientId: string;
  keyId: string;
  privateKey: string | KeyObject;
  scopes: readonly string[];
  timeoutMs?: number;
  refreshSkewMs?: number;
  fetch?: FetchLike;
  now?: () => number;
}

/** Maskinporten access tokens by the JWT-bearer grant (RFC 7523), cached until shortly before `expires_in`. */
export class MaskinportenTokenProvider extends CachingTokenProvider {
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(private readonly options: MaskinportenGrantOptions) {
    super(options.refreshSkewMs ?? 60_000, options.now ?? Date.now);
    this.fetchFn = options.fetch ?? nodeFetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.scopes.length === 0) throw new RangeError('Maskinporten: at least one scope is needed');
  }

  protected async fetchToken(): Promise<{ token: string; expiresAt: number }> {
    const operation = 'maskinporten.token';
    const assertion = signGrant(this.options.privateKey, this.options.keyId, {
      audience: this.options.audience,
      issuer: this.options.clientId,
      scopes: this.options.scopes,
      now: new Date(this.now()),
    });
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString();
    const started = this.now();
    const call = await send(this.options.tokenUrl, {
      operation,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      timeoutMs: this.timeoutMs,
      fetch: this.fetchFn,
    });
    const json = await readJson(call, operation, this.timeoutMs);
    const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const token = record['access_token'];
    const expiresIn = record['expires_in'];
    if (typeof token !== 'string' || token.length === 0) {
      throw new AltinnApiError('invalid-response', operation, 'the answer has no access_token');
    }
    const expiresAt =
      typeof expiresIn === 'number' && expiresIn > 0
        ? started + expiresIn * 1000
        : (jwtExpiry(token)?.getTime() ?? started + 60_000);
    return { token, expiresAt };
  }
}

/**
 * A token issued elsewhere (a pre-issued Maskinporten token, or an Altinn token), for simple setups and tests.
 * It is never refreshed: when it expires, calls fail with 401 until it is replaced.
 */
export class StaticTokenProvider implements TokenProvider {
  constructor(private readonly value: string) {
    if (value.trim().length === 0) throw new RangeError('the static token is empty');
  }
  async token(): Promise<string> {
    return this.value.trim();
  }
  invalidate(): void {
    // nothing to refresh
  }
}

export interface AltinnExchangeOptions {
  /** `{platform}/authentication/api/v1/exchange/maskinporten`. */
  exchangeUrl: string;
  /** The Maskinporten token to exchange. */
  source: TokenProvider;
  /** Append `?test=true` (only for Testdepartementet/test-org tokens). */
  test?: boolean;
  timeoutMs?: number;
  refreshSkewMs?: number;
  /** Used when the Altinn token's `exp` cannot be read (its lifetime is undocumented). Default 10 min. */
  fallbackLifetimeMs?: number;
  fetch?: FetchLike;
  now?: () => number;
}

/**
 * Altinn tokens from `GET /authentication/api/v1/exchange/maskinporten`: the answer is the JWT as plain text,
 * sometimes in quotes. Cached until shortly before the JWT's `exp`.
 */
export class AltinnTokenExchange extends CachingTokenProvider {
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(private readonly options: AltinnExchangeOptions) {
    super(options.refreshSkewMs ?? 60_000, options.now ?? Date.now);
    this.fetchFn = options.fetch ?? nodeFetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  override invalidate(): void {
    super.invalidate();
    this.options.source.invalidate();
  }

  protected async fetchToken(): Promise<{ token: string; expiresAt: number }> {
    const operation = 'altinn.exchangeToken';
    const source = await this.options.source.token();
    const url = this.options.test ? `${this.options.exchangeUrl}?test=true` : this.options.exchangeUrl;
    let call;
    try {
      call = await send(url, {
        operation,
        headers: { authorization: `Bearer ${source}`, accept: 'text/plain, application/json' },
        timeoutMs: this.timeoutMs,
        fetch: this.fetchFn,
      });
    } catch (error) {
      // A refused Maskinporten token is not worth keeping.
      if (error instanceof AltinnApiError && error.kind === 'unauthorized') this.options.source.invalidate();
      throw error;
    }
    const text = (await readText(call, operation, this.timeoutMs)).trim().replace(/^"+|"+$/g, '');
    if (text.split('.').length !== 3) {
      throw new AltinnApiError('invalid-response', operation, 'the answer is not a JWT');
    }
    const expiresAt = jwtExpiry(text)?.getTime() ?? this.now() + (this.options.fallbackLifetimeMs ?? 600_000);
    return { token: text, expiresAt };
  }
}
