import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server in process. A mail counts as delivered when the server answered 250 to its DATA on a
 * connection that was still open: what a person's mailbox would hold. `hold()` keeps every DATA answer
 * back until `release()` (a mail in flight), `down()` / `up()` make the port refuse connections and
 * listen again.
 */
export class MailSink {
  /** Texts of mails answered 250. */
  readonly delivered: string[] = [];
  /** Texts of every mail whose DATA reached the server (delivered or not). */
  readonly seen: string[] = [];
  port = 0;
  private server?: SMTPServer;
  private holding = false;
  private failing = 0;
  private held: { text: string; session: string; done: () => void }[] = [];
  private readonly closed = new Set<string>();

  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 100,
      onClose: (session) => {
        this.closed.add(session.id);
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            const text = mail.text ?? '';
            this.seen.push(text);
            if (this.failing > 0) {
              this.failing--;
              return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
            }
            const done = (): void => {
              if (!this.closed.has(session.id)) this.delivered.push(text);
              callback();
            };
            if (this.holding) this.held.push({ text, session: session.id, done });
            else done();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections: the port refuses connections until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Answers the next `n` mails 451 (a transient refusal the sender must retry). */
  failNext(n: number): void {
    this.failing = n;
  }

  hold(): void {
    this.holding = true;
  }

  heldCount(): number {
    return this.held.length;
  }

  /** Whether every connection with a held DATA has closed (the client died with its mail in flight). */
  heldConnectionsClosed(): boolean {
    return this.held.every((h) => this.closed.has(h.session));
  }

  /** Answers every held DATA; mails whose connection closed meanwhile are not delivered. */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const h of held) {
      try {
        h.done();
      } catch {
        // the connection is gone
      }
    }
  }

  /** How many delivered mails mention `text` (an event id). */
  deliveredWith(text: string): number {
    return this.delivered.filter((t) => t.includes(text)).length;
  }

  seenWith(text: string): number {
    return this.seen.filter((t) => t.includes(text)).length;
  }
}

/**
 * A Slack incoming-webhook stand-in on loopback: 200 `ok`, or 429 with `Retry-After` while `limited`.
 */
export class SlackStandIn {
  /** Bodies of posts answered 200. */
  readonly posted: string[] = [];
  rateLimited = 0;
  limited = false;
  retryAfterSeconds = 1;
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (this.limited) {
        this.rateLimited++;
        res.writeHead(429, { 'retry-after': String(this.retryAfterSeconds), 'content-type': 'text/plain' });
        res.end('rate_limited');
        return;
      }
      this.posted.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  }

  postedWith(text: string): number {
    return this.posted.filter((b) => b.includes(text)).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
