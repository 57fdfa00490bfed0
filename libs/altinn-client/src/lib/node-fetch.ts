import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchLike, HttpAnswer } from './http';

/**
 * The clients' default HTTP call: `node:http`/`node:https` with keep-alive, shaped like the part of `fetch` they
 * use. Node's global `fetch` (undici, with its WebAssembly HTTP parser) adds about 10 MB of resident memory to a
 * process the first time it is called, more than anything else the poller and the file fetcher load
 * (bench/results/NOTES.md, "Cost per app in its image"); these two apps talk to Altinn all day.
 *
 * What it does like `fetch` with `redirect: 'manual'`: no redirect is followed, the body is not decoded (no
 * `accept-encoding` is sent, so none is used), the signal aborts the request and the body. The body is a Node
 * stream instead of a web stream.
 */
export function createNodeFetch(): FetchLike {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true }),
  };
  return (input, init) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const url = new URL(input);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        reject(new TypeError(`unsupported protocol ${url.protocol}`));
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) {
        headers[name.toLowerCase()] = value;
      }
      const body = typeof init.body === 'string' ? init.body : undefined;
      if (init.body !== undefined && init.body !== null && body === undefined) {
        reject(new TypeError('only string bodies are supported'));
        return;
      }
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method: init.method ?? 'GET', headers, agent: agents[url.protocol] },
        (response) => resolve(answerOf(response, signal)),
      );
      const onAbort = (): void => {
        request.destroy(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.once('error', reject); // before the answer; later errors reach the body
      request.once('close', () => signal?.removeEventListener('abort', onAbort));
      request.end(body);
    });
}

/** The shared default: one keep-alive pool per process. */
export const nodeFetch: FetchLike = createNodeFetch();

function answerOf(response: IncomingMessage, signal: AbortSignal | undefined): HttpAnswer {
  const status = response.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: response.statusMessage ?? '',
    headers: {
      get(name: string): string | null {
        const value = response.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: response,
    text: () =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.once('error', (error) => reject(signal?.aborted ? abortError(signal) : error));
        response.once('aborted', () => reject(signal?.aborted ? abortError(signal) : new Error('aborted')));
      }),
  };
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}
