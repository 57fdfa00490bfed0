import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A plain SMTP server that accepts every mail and counts them by their `X-Altinn-File-Transfer-Id` header,
 * for the soak's "nobody mailed twice" accounting. It reads only the header block, so it keeps up with
 * thousands of mails a second where a full MIME parse would not.
 */
export class MailCounter {
  /** File transfer id → mails received for it. */
  readonly byTransfer = new Map<string, number>();
  /** Mails without the header (should be none). */
  unmarked = 0;
  port = 0;
  private server?: SMTPServer;

  get total(): number {
    let n = this.unmarked;
    for (const c of this.byTransfer.values()) n += c;
    return n;
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      closeTimeout: 100,
      size: 1024 * 1024,
      onData: (stream, _session, callback) => {
        let head = '';
        let inHead = true;
        stream.on('data', (chunk: Buffer) => {
          if (!inHead) return;
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end >= 0) {
            head = head.slice(0, end);
            inHead = false;
          }
        });
        stream.on('end', () => {
          const id = /^X-Altinn-File-Transfer-Id:\s*(\S+)/im.exec(head)?.[1];
          if (id) this.byTransfer.set(id, (this.byTransfer.get(id) ?? 0) + 1);
          else this.unmarked++;
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
