import { createHash } from 'node:crypto';
import { ALTINN_SCOPES } from '@broker-events/contracts';
import { AltinnPlatformStandIn } from '../testing';
import { BrokerClient, brokerPartyOrganisation, contentDispositionFileName } from './broker-client';
import { StaticTokenProvider } from './token-providers';

const RESOURCE = 'altinn-broker-test-resource-1';
const US = '312000008';
const SENDER = '310000001';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('BrokerClient against the Broker stand-in', () => {
  let platform: AltinnPlatformStandIn;
  let broker: BrokerClient;
  const content = Buffer.from('The quick brown fox jumps over the lazy dog\n'.repeat(100));

  beforeAll(async () => {
    platform = await AltinnPlatformStandIn.start();
    broker = new BrokerClient(`${platform.url}/broker/api/v1`, {
      tokens: new StaticTokenProvider(platform.issueAltinnToken(US, [ALTINN_SCOPES.brokerRead])),
      timeoutMs: 1000,
    });
  });
  afterAll(async () => {
    await platform.close();
  });

  const newTransfer = (
    extra: Partial<Parameters<AltinnPlatformStandIn['addFileTransfer']>[0]> = {},
  ): string =>
    platform.addFileTransfer({
      resourceId: RESOURCE,
      sender: SENDER,
      recipients: [US],
      content,
      fileName: 'rapport 1.xml',
      ...extra,
    });

  it('reads the overview: status, size, MD5 checksum and our recipient status', async () => {
    const id = newTransfer();
    const overview = await broker.getOverview(id);
    expect(overview).toMatchObject({
      fileTransferId: id,
      fileTransferStatus: 'Published',
      fileTransferSize: content.length,
      checksum: createHash('md5').update(content).digest('hex'),
      fileName: 'rapport 1.xml',
    });
    expect(
      overview.recipients.map((r) => [
        brokerPartyOrganisation(r.recipient),
        r.currentRecipientFileTransferStatusCode,
      ]),
    ).toEqual([[US, 'Initialized']]);
  });

  it('answers 406 to an Accept header without application/json, as Broker does', async () => {
    const id = newTransfer();
    const token = platform.issueAltinnToken(US, [ALTINN_SCOPES.brokerRead]);
    const wrong = await fetch(`${platform.url}/broker/api/v1/filetransfer/${id}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/html' },
    });
    expect(wrong.status).toBe(406);
    const right = await fetch(`${platform.url}/broker/api/v1/filetransfer/${id}`, {
      headers: { authorization: `Bearer ${token}`, accept: '*/*' },
    });
    expect(right.status).toBe(200);
    platform.fail({ status: 406 });
    await expect(broker.getOverview(id)).rejects.toMatchObject({ kind: 'not-acceptable' });
  });

  it('refuses to confirm before the download, then downloads, confirms, and confirms again after AllConfirmedDownloaded', async () => {
    const id = newTransfer();
    await expect(broker.confirmDownload(id)).rejects.toMatchObject({
      kind: 'bad-request',
      status: 400,
      problem: { detail: 'Cannot confirm before the files have been downloaded' },
    });
    const download = await broker.download(id);
    expect(download.status).toBe(200);
    expect(download.fileName).toBe('rapport 1.xml');
    expect(download.contentLength).toBe(content.length);
    expect((await readAll(download.body)).equals(content)).toBe(true);
    expect(platform.fileTransfer(id).recipients[US]).toBe('DownloadStarted');

    await broker.confirmDownload(id);
    // We were the only recipient: the transfer is AllConfirmedDownloaded and Broker answers 400 to a second
    // confirm (a retry, another replica). The client reads the overview and takes it as done.
    await broker.confirmDownload(id);
    expect(platform.fileTransfer(id)).toMatchObject({
      status: 'AllConfirmedDownloaded',
      recipients: { [US]: 'DownloadConfirmed' },
      confirms: 1,
    });
    expect(
      platform.requests.filter((r) => r.path.endsWith(`${id}/confirmdownload`)).map((r) => r.status),
    ).toEqual([400, 204, 400]);
  });

  it('downloads a byte range (206 + Content-Range) and reports an unsatisfiable one as 416', async () => {
    const id = newTransfer();
    const part = await broker.download(id, { range: { start: 10, end: 19 } });
    expect(part.status).toBe(206);
    expect(part.contentRange).toBe(`bytes 10-19/${content.length}`);
    expect((await readAll(part.body)).equals(content.subarray(10, 20))).toBe(true);

    const tail = await broker.download(id, { range: { start: content.length - 5 } });
    expect((await readAll(tail.body)).equals(content.subarray(content.length - 5))).toBe(true);

    await expect(broker.download(id, { range: { start: content.length + 10 } })).rejects.toMatchObject({
      kind: 'range-not-satisfiable',
    });
  });

  it('fails a download that stalls with a timeout instead of hanging', async () => {
    const id = newTransfer({ stallAfterBytes: 100 });
    const download = await broker.download(id, { idleTimeoutMs: 200 });
    await expect(readAll(download.body)).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('lists transfers awaiting our download (newest first, at most 100)', async () => {
    const local = await AltinnPlatformStandIn.start();
    try {
      const client = new BrokerClient(`${local.url}/broker/api/v1`, {
        tokens: new StaticTokenProvider(local.issueAltinnToken(US, [ALTINN_SCOPES.brokerRead])),
      });
      const base = Date.parse('2026-11-01T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 105; i++)
        ids.push(
          local.addFileTransfer({
            resourceId: RESOURCE,
            sender: SENDER,
            recipients: [US],
            content,
            created: new Date(base + i * 1000),
          }),
        );
      local.addFileTransfer({ resourceId: RESOURCE, sender: US, recipients: [SENDER], content });
      local.addFileTransfer({
        resourceId: RESOURCE,
        sender: SENDER,
        recipients: [US],
        content,
        status: 'UploadProcessing',
      });

      const listed = await client.listFileTransfers({
        resourceId: RESOURCE,
        status: 'Published',
        recipientStatus: 'Initialized',
        role: 'Recipient',
      });
      expect(listed).toHaveLength(100);
      expect(listed[0]).toBe(ids[104]);
      const oldest = await client.listFileTransfers({
        resourceId: RESOURCE,
        status: 'Published',
        recipientStatus: 'Initialized',
        role: 'Recipient',
        orderAscending: true,
      });
      expect(oldest[0]).toBe(ids[0]);
    } finally {
      await local.close();
    }
  });

  it('maps 401, 403, 404 and 5xx to typed errors', async () => {
    const id = newTransfer();
    const noToken = new BrokerClient(`${platform.url}/broker/api/v1`, {
      tokens: new StaticTokenProvider('not-a-token'),
    });
    await expect(noToken.getOverview(id)).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    const writeOnly = new BrokerClient(`${platform.url}/broker/api/v1`, {
      tokens: new StaticTokenProvider(platform.issueAltinnToken(US, [ALTINN_SCOPES.brokerWrite])),
    });
    await expect(writeOnly.download(id)).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(broker.getOverview('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      kind: 'not-found',
    });
    platform.fail({ status: 500, path: /\/download$/ });
    await expect(broker.download(id)).rejects.toMatchObject({ kind: 'server-error', retryable: true });
  });

  it('takes a 401 that a fresh token does not cure as no-access, and fetches tokens for a 401 at most once a minute', async () => {
    const id = newTransfer();
    let now = Date.parse('2026-11-27T10:00:00Z');
    let fetched = 0;
    const client = new BrokerClient(`${platform.url}/broker/api/v1`, {
      tokens: {
        token: async () => platform.issueAltinnToken(US, [ALTINN_SCOPES.brokerRead]),
        invalidate: () => void fetched++,
      },
      now: () => now,
    });
    platform.revokeAccess(RESOURCE, US);
    try {
      await expect(client.getOverview(id)).rejects.toMatchObject({
        kind: 'no-access',
        status: 401,
        retryable: false,
        problem: { detail: expect.stringContaining('Resource Rights Registry') },
      });
      expect(fetched).toBe(1);
      // Again within the minute: refused at once, no new tokens.
      await expect(client.download(id)).rejects.toMatchObject({ kind: 'no-access' });
      await expect(client.confirmDownload(id)).rejects.toMatchObject({ kind: 'no-access' });
      expect(fetched).toBe(1);
      now += 61_000;
      await expect(client.getOverview(id)).rejects.toMatchObject({ kind: 'no-access' });
      expect(fetched).toBe(2);
    } finally {
      platform.grantAccess(RESOURCE, US);
    }
    await expect(client.getOverview(id)).resolves.toMatchObject({ fileTransferId: id });
  });

  it('reads file names from Content-Disposition', () => {
    expect(
      contentDispositionFileName(`attachment; filename="a.xml"; filename*=UTF-8''%C3%A6%C3%B8.xml`),
    ).toBe('æø.xml');
    expect(contentDispositionFileName('attachment; filename=plain.txt')).toBe('plain.txt');
    expect(contentDispositionFileName(null)).toBeUndefined();
  });
});
