import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerClient, StaticTokenProvider } from '@broker-events/altinn-client';
import { AltinnPlatformStandIn } from '@broker-events/altinn-client/testing';
import { createLogger } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { FileFetcher } from '../src/app/fetching/file-fetcher';
import { FileFetcherMetrics } from '../src/app/file-fetcher.metrics';
import { SqliteOutcomeStore } from '../src/app/outcomes/outcome-store';
import { S3Storage } from '../src/app/storage/s3-storage';
import { S3StandIn } from './support/s3-stand-in';

const KEY_ID = 'test-access-key';
const SECRET = 'test-secret-key/with+chars';

describe('S3-compatible storage (SigV4 PUT/HEAD) against a local S3 stand-in', () => {
  let s3: S3StandIn;
  let spool: string;
  beforeAll(async () => {
    s3 = await new S3StandIn('broker-files', KEY_ID, SECRET).start();
    spool = mkdtempSync(join(tmpdir(), 's3-spool-'));
  });
  afterAll(() => s3.close());

  const storage = (secret = SECRET): S3Storage =>
    new S3Storage({
      endpoint: s3.url,
      bucket: 'broker-files',
      region: 'us-east-1',
      accessKeyId: KEY_ID,
      secretAccessKey: secret,
      prefix: 'in/',
      spoolDir: spool,
      timeoutMs: 2000,
    });

  async function write(target: S3Storage, id: string, name: string, content: Buffer): Promise<string> {
    const w = target.begin(id, name);
    await new Promise<void>((resolve, reject) => w.stream.end(content, () => resolve()).on('error', reject));
    return w.commit();
  }

  it('uploads with a valid signature, body hash and Content-MD5; HEAD tells whether it is there; the spool is cleaned', async () => {
    const id = randomUUID();
    const content = Buffer.from('æøå '.repeat(1000));
    const location = await write(storage(), id, 'rapport 2026.xml', content);
    expect(location).toBe(`s3://broker-files/in/${id}/rapport 2026.xml`);
    expect(s3.objects.get(`in/${id}/rapport 2026.xml`)?.equals(content)).toBe(true);
    expect(await storage().exists(location)).toBe(true);
    expect(await storage().exists(`s3://broker-files/in/${randomUUID()}/nothing`)).toBe(false);
    expect(readdirSync(join(spool, '.s3-spool'))).toEqual([]);
  });

  it('fails the commit when the store refuses the signature (wrong secret)', async () => {
    await expect(write(storage('wrong-secret'), randomUUID(), 'a.bin', Buffer.from('x'))).rejects.toThrow(
      /answered 403: SignatureDoesNotMatch/,
    );
  });

  it('the fetcher stores a Broker file in the bucket and confirms it', async () => {
    const platform = await AltinnPlatformStandIn.start();
    const outcomes = new SqliteOutcomeStore(':memory:');
    try {
      await outcomes.init();
      const content = Buffer.from('<melding/>'.repeat(500));
      const id = platform.addFileTransfer({
        resourceId: 'r',
        sender: '310000001',
        recipients: ['312000008'],
        content,
        fileName: 'melding.xml',
      });
      const broker = new BrokerClient(`${platform.url}/broker/api/v1`, {
        tokens: new StaticTokenProvider(platform.issueAltinnToken('312000008', ['altinn:broker.read'])),
      });
      const fetcher = new FileFetcher(
        broker,
        storage(),
        outcomes,
        new FileFetcherMetrics(new Registry()),
        createLogger('test', 'silent'),
        {
          organisationNumber: '312000008',
          verifyChecksum: true,
          maxResumes: 0,
        },
      );
      expect(await fetcher.fetch(id, 'event')).toBe('confirmed');
      expect(s3.objects.get(`in/${id}/melding.xml`)?.equals(content)).toBe(true);
      expect(await outcomes.get(id)).toMatchObject({
        status: 'confirmed',
        location: `s3://broker-files/in/${id}/melding.xml`,
        md5: createHash('md5').update(content).digest('hex'),
        checksumVerified: true,
      });
      expect(platform.fileTransfer(id).recipients['312000008']).toBe('DownloadConfirmed');
      expect(await fetcher.fetch(id, 'reconcile')).toBe('already_confirmed');
    } finally {
      await outcomes.close();
      await platform.close();
    }
  });
});
