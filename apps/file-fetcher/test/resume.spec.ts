import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerClient, StaticTokenProvider } from '@broker-events/altinn-client';
import { AltinnPlatformStandIn } from '@broker-events/altinn-client/testing';
import { createLogger } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { FileFetcher } from '../src/app/fetching/file-fetcher';
import { FileFetcherMetrics } from '../src/app/file-fetcher.metrics';
import { SqliteOutcomeStore } from '../src/app/outcomes/outcome-store';
import { LocalFolderStorage } from '../src/app/storage/file-storage';

const US = '312000008';

describe('a download that breaks off continues with a Range request', () => {
  let platform: AltinnPlatformStandIn;
  let outcomes: SqliteOutcomeStore;
  let dir: string;
  const content = Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 251));

  beforeAll(async () => {
    platform = await AltinnPlatformStandIn.start();
    outcomes = new SqliteOutcomeStore(':memory:');
    await outcomes.init();
    dir = mkdtempSync(join(tmpdir(), 'resume-'));
  });
  afterAll(async () => {
    await outcomes.close();
    await platform.close();
  });

  function fetcher(maxResumes: number): FileFetcher {
    const broker = new BrokerClient(`${platform.url}/broker/api/v1`, {
      tokens: new StaticTokenProvider(platform.issueAltinnToken(US, ['altinn:broker.read'])),
      // Also the idle limit of a download; roomy enough for a first call on a loaded CI machine.
      timeoutMs: 1500,
    });
    return new FileFetcher(
      broker,
      new LocalFolderStorage(dir),
      outcomes,
      new FileFetcherMetrics(new Registry()),
      createLogger('test', 'silent'),
      {
        organisationNumber: US,
        verifyChecksum: true,
        maxResumes,
      },
    );
  }

  it('resumes from the last byte received, and the stored file matches the checksum', async () => {
    const id = platform.addFileTransfer({
      resourceId: 'r',
      sender: '310000001',
      recipients: [US],
      content,
      fileName: 'big.bin',
      stallAfterBytes: 7000,
      stallCount: 2,
    });
    expect(await fetcher(3).fetch(id, 'event')).toBe('confirmed');
    const ranges = platform.requests
      .filter((r) => r.path.endsWith(`${id}/download`))
      .map((r) => r.headers.range ?? 'whole');
    expect(ranges).toEqual(['whole', 'bytes=7000-', 'bytes=14000-']);
    expect(readFileSync(join(dir, id, 'big.bin')).equals(content)).toBe(true);
    expect(await outcomes.get(id)).toMatchObject({
      status: 'confirmed',
      bytes: content.length,
      checksumVerified: true,
    });
  });

  it('gives up after maxResumes and leaves nothing under the file name', async () => {
    const id = platform.addFileTransfer({
      resourceId: 'r',
      sender: '310000001',
      recipients: [US],
      content,
      fileName: 'big.bin',
      stallAfterBytes: 5000,
    });
    await expect(fetcher(1).fetch(id, 'event')).rejects.toMatchObject({ name: 'TransientDeliveryError' });
    expect(platform.fileTransfer(id).confirms).toBe(0);
    expect(await outcomes.get(id)).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('no bytes for 1500 ms'),
    });
  });
});
