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

  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 100,
      size: 1024 * 1024,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.mails.push([...new Set((mail.text ?? '').toLowerCase().match(UUID) ?? [])]);
            callback();
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
