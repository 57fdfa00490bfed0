import { AltinnApiError } from './errors';
import { DEFAULT_TIMEOUT_MS, type FetchLike, type SentCall, readJson, send } from './http';
import type { TokenProvider } from './tokens';

export interface AuthorizedHttpOptions {
  tokens: TokenProvider;
  timeoutMs?: number;
  fetch?: FetchLike;
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
 * (a token can be revoked or expire early); a second 401 is the caller's.
 */
export class AuthorizedHttp {
  readonly timeoutMs: number;
  private readonly fetchFn: FetchLike;

  constructor(private readonly options: AuthorizedHttpOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchFn = options.fetch ?? fetch;
  }

  async call(url: string, req: AuthorizedRequest): Promise<SentCall> {
    try {
      return await this.once(url, req);
    } catch (error) {
      if (!(error instanceof AltinnApiError) || error.kind !== 'unauthorized') throw error;
      this.options.tokens.invalidate();
      return this.once(url, req);
    }
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
