import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server that can refuse every recipient permanently (550) until it is fixed: the "cause" of the
 * email consumer's dead letters in the console tests.
 */
export class SmtpSink {
  readonly delivered: { to: string[]; subject: string; headers: Map<string, unknown> }[] = [];
  port = 0;
  rejecting = false;
  private server?: SMTPServer;

  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 100,
      onRcptTo: (address, _session, callback) => {
        if (this.rejecting)
          return callback(
            Object.assign(new Error(`mailbox ${address.address} does not exist`), { responseCode: 550 }),
          );
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.delivered.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              headers: mail.headers,
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Mails delivered for a file transfer (the email consumer sets X-Altinn-File-Transfer-Id). */
  deliveredFor(fileTransferId: string): number {
    return this.delivered.filter(
      (m) => String(m.headers.get('x-altinn-file-transfer-id') ?? '') === fileTransferId,
    ).length;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
