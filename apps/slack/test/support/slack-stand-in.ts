import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PostedMessage {
  path: string;
  authorization?: string;
  body: { channel?: string; text?: string; blocks?: Record<string, unknown>[] };
  /** The HTTP status answered and whether Slack accepted the message. */
  status?: number;
  ok?: boolean;
}

/** What the stand-in answers next: Slack's documented responses. */
export type Reply =
  | { kind: 'ok' }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'webhook-error'; status: 400 | 403 | 404 | 410 | 500; error: string }
  | { kind: 'api-error'; error: string };

/**
 * A local HTTP stand-in for Slack following its documented contract:
 * - incoming webhook `POST /services/…`: 200 `ok`; 429 + Retry-After; 400 `invalid_payload`, 404 `no_service`, …
 * - `POST /api/chat.postMessage` with `Authorization: Bearer …`: 200 `{ok:true, channel, ts}` or `{ok:false, error}`;
 *   429 + Retry-After. A missing or wrong token gets `{ok:false, error:'not_authed' | 'invalid_auth'}`.
 */
export class SlackStandIn {
  readonly requests: PostedMessage[] = [];
  /** Replies for the next requests, in order; when empty, `ok`. */
  readonly script: Reply[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly token = 'xoxb-test-token') {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Messages Slack accepted. */
  accepted(): PostedMessage[] {
    return this.requests.filter((r) => r.status === 200 && r.ok === true);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const posted: PostedMessage = {
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as PostedMessage['body'],
    };
    this.requests.push(posted);
    const api = posted.path === '/api/chat.postMessage';
    if (api && posted.authorization !== `Bearer ${this.token}`) {
      posted.status = 200;
      return json(res, 200, { ok: false, error: posted.authorization ? 'invalid_auth' : 'not_authed' });
    }
    const reply = this.script.shift() ?? { kind: 'ok' };
    switch (reply.kind) {
      case 'ok':
        posted.status = 200;
        posted.ok = true;
        if (api)
          return json(res, 200, { ok: true, channel: posted.body.channel, ts: `${Date.now() / 1000}` });
        return text(res, 200, 'ok');
      case 'rate-limited':
        posted.status = 429;
        res.setHeader('Retry-After', String(reply.retryAfterSeconds));
        return api ? json(res, 429, { ok: false, error: 'ratelimited' }) : text(res, 429, 'rate_limited');
      case 'webhook-error':
        posted.status = reply.status;
        return text(res, reply.status, reply.error);
      case 'api-error':
        posted.status = 200;
        return json(res, 200, { ok: false, error: reply.error });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}
