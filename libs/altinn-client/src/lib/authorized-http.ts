import { AltinnApiError } from './errors';
import { nodeFetch } from './node-fetch';
import { DEFAULT_TIMEOUT_MS, type FetchLike, type SentCall, readJson, send } from './http';
import type { TokenProvider } from './token-providers';

export interface AuthorizedHttpOptions {
  tokens: TokenProvider;
  timeoutMs?: number;
  fetch?: FetchLike;
  /**
   * After a 401 the tokens are fetched afresh at most once in this period (default 60 s). A second 401 within it
   * is not an expired token, so asking Maskinporten again would only hammer it.
   */
  refreshOn401IntervalMs?: number;
  now?: () => number;
}

/** Options of a client whose 401 after a fresh token means "no access" rather than "bad token" (Broker). */
export interface NoAccessOn401 {
  /** Turns a 401 that a fresh token did not cure into a `no-access` error. */
  noAccessOn401?: boolean;
}

export interface AuthorizedRequest {
  operation: string;
  method?: string;
  accept: string;
  contentType?: string;
  body?: string;
  headers?: Record<string, string>;
  headersOnly?: boolean;
}

/**
 * Bearer-authorized calls. A 401 invalidates the cached token and the call is made once more with a fresh one
 * (a token can be revoked or expire early); a second 401 is the caller's. Fresh tokens are fetched for a 401 at
 * most once per `refreshOn401IntervalMs`: a token fetched moments ago that is refused again is not expired.
 * Broker answers 401 also when the caller has no right on the resource; with `noAccessOn401` a 401 that a fresh
 * token did not cure comes out as a `no-access` error, which is permanent until someone grants the right.
 */
export class AuthorizedHttp {
  readonly timeoutMs: number;
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: AuthorizedHttpOptions & NoAccessOn401) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchFn = options.fetch ?? nodeFetch;
    this.now = options.now ?? Date.now;
  }

  async call(url: string, req: AuthorizedRequest): Promise<SentCall> {
    try {
      return await this.once(url, req);
    } catch (error) {
      if (!(error instanceof AltinnApiError) || error.kind !== 'unauthorized') throw error;
      const interval = this.options.refreshOn401IntervalMs ?? 60_000;
      if (this.now() - this.lastRefreshAt < interval) throw this.refused(error);
      this.lastRefreshAt = this.now();
      this.options.tokens.invalidate();
      try {
        return await this.once(url, req);
      } catch (again) {
        if (again instanceof AltinnApiError && again.kind === 'unauthorized') throw this.refused(again);
        throw again;
      }
    }
  }

  /** A 401 that fresh tokens did not cure. */
  private refused(error: AltinnApiError): AltinnApiError {
    // A token Broker does not accept at all gets a bare 401 (`WWW-Authenticate: Bearer error="invalid_token"`);
    // a token it accepts, for a party without the right, gets ProblemDetails.
    if (!this.options.noAccessOn401 || error.problem === undefined) return error;
    return new AltinnApiError(
      'no-access',
      error.operation,
      `HTTP 401 with a freshly fetched token: no access to the resource or the transfer (a right missing in the Resource Rights Registry)${error.problem?.detail ? `: ${error.problem.detail}` : ''}`,
      { status: 401, problem: error.problem, cause: error },
    );
  }

  async json(url: string, req: AuthorizedRequest): Promise<unknown> {
    const call = await this.call(url, req);
    return readJson(call, req.operation, this.timeoutMs);
  }

  private async once(url: string, req: AuthorizedRequest): Promise<SentCall> {
    const token = await this.options.tokens.token();
    const headers: Record<string, string> = {
      ...req.headers,
      authorization: `Bearer ${token}`,
      accept: req.accept,
    };
    if (req.contentType !== undefined) headers['content-type'] = req.contentType;
    return send(url, {
      operation: req.operation,
      method: req.method,
      headers,
      body: req.body,
      timeoutMs: this.timeoutMs,
      fetch: this.fetchFn,
      headersOnly: req.headersOnly,
    });
  }
}
