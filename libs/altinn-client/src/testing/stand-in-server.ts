import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure to inject into the next matching request(s). */
export interface InjectedFailure {
  /** Answer with this status (a ProblemDetails body unless `body` is given). */
  status?: number;
  body?: string;
  /** Wait this long before answering (or before the failure, when `status` is set too). */
  delayMs?: number;
  /** Only requests whose path (without the query) matches. */
  path?: RegExp;
  method?: string;
  /** How many requests this applies to (default 1). */
  times?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The answer's status; 0 while the answer is still going. */
  status: number;
}

export type Clock = () => number;

/** A JSON answer. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An RFC 7807 answer, as ASP.NET Core writes it. */
export function problem(res: ServerResponse, status: number, title: string, detail?: string): void {
  json(
    res,
    status,
    {
      type: `https://tools.ietf.org/html/rfc9110#section-15.${status >= 500 ? 6 : 5}`,
      title,
      status,
      ...(detail ? { detail } : {}),
    },
    'application/problem+json; charset=utf-8',
  );
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

// ---- tokens: HS256 JWTs, so the stand-ins can verify what they issued and clients can read `exp` ----

function b64(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function issueHs256(secret: string, claims: Record<string, unknown>): string {
  const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The claims of a token we issued and that has not expired, else undefined. */
export function verifyHs256(secret: string, token: string, now: number): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const actual = Buffer.from(parts[2], 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const exp = claims['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= now) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * A node:http server on 127.0.0.1 and a random port, with failure injection and a log of requests. Every
 * stand-in extends it.
 */
export abstract class StandInServer {
  /** Every request answered, in order (failures included). */
  readonly requests: RequestRecord[] = [];
  private server?: Server;
  private failures: InjectedFailure[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private baseUrl?: string;
  protected readonly now: Clock;

  protected constructor(clock?: Clock) {
    this.now = clock ?? Date.now;
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (!this.baseUrl) throw new Error('stand-in not started');
    return this.baseUrl;
  }

  /** Listens on 127.0.0.1:`port` (0, the default: a free port chosen by the OS). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` (default 1) matching requests fail or are slow. */
  fail(failure: InjectedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  clearFailures(): void {
    this.failures = [];
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;

  private takeFailure(req: IncomingMessage, path: string): InjectedFailure | undefined {
    const index = this.failures.findIndex(
      (f) =>
        (f.path === undefined || f.path.test(path)) &&
        (f.method === undefined || f.method.toUpperCase() === req.method),
    );
    if (index === -1) return undefined;
    const failure = this.failures[index];
    failure.times = (failure.times ?? 1) - 1;
    if (failure.times <= 0) this.failures.splice(index, 1);
    return failure;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Logged in arrival order; the status is filled in when the answer ends ('close' also fires for answers the
    // client gave up on, such as a stalled download, which 'finish' never does).
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      status: 0,
    };
    this.requests.push(record);
    res.on('close', () => {
      record.status = res.statusCode;
    });
    try {
      const failure = this.takeFailure(req, url.pathname);
      if (failure?.delayMs !== undefined) {
        await this.sleep(failure.delayMs);
        if (!this.server || res.destroyed) return;
      }
      if (failure?.status !== undefined) {
        if (failure.body !== undefined) {
          res.writeHead(failure.status, { 'content-type': 'text/plain' });
          res.end(failure.body);
        } else {
          problem(res, failure.status, `Injected failure ${failure.status}`);
        }
        return;
      }
      await this.handle(req, res, url);
    } catch (error) {
      if (!res.headersSent)
        problem(res, 500, 'Stand-in error', error instanceof Error ? error.message : String(error));
      else res.destroy();
    }
  }
}
