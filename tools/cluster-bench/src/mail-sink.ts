import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A real SMTP server on loopback that keeps, for every mail it answered 250 to, the UUIDs in its text (the
 * event id is one of them): what a person's mailbox would hold, counted per event.
 */
export class MailSink {
  /** UUIDs found in each delivered mail. */
  private readonly mails: string[][] = [];
  port = 0;
  private server?: SMTPServer;
  private readonly closed = new Set<string>();

  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 100,
      disableReverseLookup: true,
      onClose: (session) => {
        this.closed.add(session.id);
      },
      size: 1024 * 1024,
      onData: (stream, session, callback) => {
        // A mail counts when the server answers 250 on a connection that is still open: a client that gave
        // up (timeout) before the answer sends it again, and only that copy reaches the mailbox.
        const deliver = (uuids: string[]): void => {
          if (!this.closed.has(session.id)) this.mails.push(uuids);
          callback();
        };
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', callback);
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          // Cheap path: the text part is quoted-printable (or plain), so the ids are in the raw message once
          // soft line breaks are removed. Only a message without any id (e.g. base64) is parsed in full.
          const found = raw
            .toString('latin1')
            .replace(/=\r?\n/g, '')
            .toLowerCase()
            .match(UUID);
          if (found) {
            deliver([...new Set(found)]);
            return;
          }
          simpleParser(raw)
            .then((mail) => deliver([...new Set((mail.text ?? '').toLowerCase().match(UUID) ?? [])]))
            .catch(callback);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  get delivered(): number {
    return this.mails.length;
  }

  /** Mails per id, for the given ids only (a mail also names e.g. the resource instance). */
  countsFor(ids: ReadonlySet<string>): Map<string, number> {
    const out = new Map<string, number>();
    for (const uuids of this.mails) {
      for (const u of uuids) if (ids.has(u)) out.set(u, (out.get(u) ?? 0) + 1);
    }
    return out;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
