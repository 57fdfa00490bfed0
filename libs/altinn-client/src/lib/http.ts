import type { Readable } from 'node:stream';
import { AltinnApiError, type ProblemDetails, kindForStatus } from './errors';

/** What the clients read of an answer: the part of fetch's `Response` they use (a `Response` is one). */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  statusText: string;
  headers: { get(name: string): string | null };
  /** The body unread: a Node stream (the default client, node-fetch.ts) or a web stream (`fetch`). */
  body: Readable | ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/**
 * One HTTP call, shaped like `fetch` (which fits, as do test wrappers). The default is `nodeFetch`
 * (node:http/node:https); the global `fetch` costs about 10 MB of memory per process.
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<HttpAnswer>;

export interface HttpOptions {
  /** Deadline for the status line and headers, and for a JSON/text body. Default 30 s. */
  timeoutMs?: number;
  fetch?: FetchLike;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface SendOptions {
  operation: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  fetch: FetchLike;
  /** Keep the deadline running only until headers arrive (streamed bodies set their own idle limit). */
  headersOnly?: boolean;
}

/**
 * One HTTP call with a deadline. Non-2xx answers become {@link AltinnApiError} (ProblemDetails read when the
 * body is JSON); timeouts and connection failures too. Returns the response with its body unread.
 */
export interface SentCall {
  response: HttpAnswer;
  /** Stops the deadline timer (called once the body is read). */
  done: () => void;
  /** Aborts the request, body included. */
  abort: () => void;
}

export async function send(url: string, opts: SendOptions): Promise<SentCall> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const done = (): void => clearTimeout(timer);
  let response: HttpAnswer;
  try {
    response = await opts.fetch(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      body: opts.body,
      signal: controller.signal,
      redirect: 'manual',
    });
  } catch (error) {
    done();
    if (timedOut) {
      throw new AltinnApiError('timeout', opts.operation, `no answer within ${opts.timeoutMs} ms`, {
        cause: error,
      });
    }
    throw new AltinnApiError('network', opts.operation, `request failed: ${errorText(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    let problem: ProblemDetails | undefined;
    let text = '';
    try {
      text = await response.text();
      problem = problemOf(text);
    } catch {
      // the body is only a courtesy
    } finally {
      done();
    }
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    const summary =
      problem?.detail ?? problem?.title ?? (text.length > 0 ? text.slice(0, 200) : response.statusText);
    throw new AltinnApiError(
      kindForStatus(response.status),
      opts.operation,
      `HTTP ${response.status}${summary ? `: ${summary}` : ''}`,
      {
        status: response.status,
        problem,
        retryAfterMs,
      },
    );
  }
  const abort = (): void => controller.abort();
  if (!opts.headersOnly) {
    // The caller reads the body under the same deadline and calls done().
    return { response, done, abort };
  }
  done();
  return { response, done: () => undefined, abort };
}

/** Reads the body as text under the call's deadline, mapping an abort to a timeout error. */
export async function readText(
  call: { response: HttpAnswer; done: () => void },
  operation: string,
  timeoutMs: number,
): Promise<string> {
  try {
    return await call.response.text();
  } catch (error) {
    const aborted = error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
    throw new AltinnApiError(
      aborted ? 'timeout' : 'network',
      operation,
      aborted ? `body not complete within ${timeoutMs} ms` : `reading the body failed: ${errorText(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    call.done();
  }
}

export async function readJson(
  call: { response: HttpAnswer; done: () => void },
  operation: string,
  timeoutMs: number,
): Promise<unknown> {
  const text = await readText(call, operation, timeoutMs);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AltinnApiError('invalid-response', operation, `the body is not JSON: ${text.slice(0, 100)}`, {
      status: call.response.status,
    });
  }
}

function problemOf(text: string): ProblemDetails | undefined {
  if (text.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const v = value as Record<string, unknown>;
    const out: ProblemDetails = {};
    for (const key of ['type', 'title', 'detail', 'instance'] as const)
      if (typeof v[key] === 'string') out[key] = v[key];
    if (typeof v['status'] === 'number') out.status = v['status'];
    return Object.keys(out).length > 0 ? out : undefined;
  } catch {
    return undefined;
  }
}

export function parseRetryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** `base` + `path`, tolerating a trailing slash on the base. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
