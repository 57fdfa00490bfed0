import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_ORGANISATION, localDelivery, startLocalAltinn } from './local-altinn';
import { findRepoRoot } from './root';
import { altinnEnvironmentOf, startLocalStack } from './stack';

describe('the local Altinn', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'local-altinn-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('keeps the keys it generated on first run, and our client gets a token through the JWT grant and exchange', async () => {
    const first = await startLocalAltinn({ stateDir, gatewayPort: 1, webhookPath: '/altinn/events/x' });
    const key = readFileSync(first.info.client.privateKeyFile, 'utf8');
    await first.close();
    const second = await startLocalAltinn({ stateDir, gatewayPort: 1, webhookPath: '/altinn/events/x' });
    try {
      expect(readFileSync(second.info.client.privateKeyFile, 'utf8')).toBe(key);
      expect(second.info.client.organisationNumber).toBe(LOCAL_ORGANISATION);
      expect(second.info.subscriptionEndpoint).toBe('https://gateway.localhost/altinn/events/x');
    } finally {
      await second.close();
    }
  });

  it('delivers https://*.localhost endpoints to 127.0.0.1 (the gateway without a port) and nothing else', () => {
    const deliver = localDelivery(8080);
    expect(deliver('https://gateway.localhost/altinn/events/t?code=1')).toBe(
      'http://127.0.0.1:8080/altinn/events/t?code=1',
    );
    expect(deliver('https://mine.localhost:9000/hook')).toBe('http://127.0.0.1:9000/hook');
    expect(deliver('https://broker-events.example.no/altinn/events/t')).toBe(
      'https://broker-events.example.no/altinn/events/t',
    );
  });

  it('is only for ALTINN_ENVIRONMENT unset or local; tt02/production never start it', async () => {
    expect(altinnEnvironmentOf({})).toBe('local');
    expect(altinnEnvironmentOf({ ALTINN_ENVIRONMENT: 'local' })).toBe('local');
    expect(altinnEnvironmentOf({ ALTINN_ENVIRONMENT: 'tt02' })).toBe('tt02');
    expect(() => altinnEnvironmentOf({ ALTINN_ENVIRONMENT: 'prod' })).toThrow(/local.*tt02 or production/);

    // With tt02 the stack goes straight past the Altinn step (interrupted right after it here).
    const lines: string[] = [];
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      startLocalStack({
        root: findRepoRoot(__dirname),
        stateDir,
        env: { ALTINN_ENVIRONMENT: 'tt02', KAFKA_BROKERS: '127.0.0.1:1' },
        build: false,
        ports: { altinn: 0, maskinporten: 0, control: 0 },
        log: (l) => lines.push(l),
        signal: aborted.signal,
      }),
    ).rejects.toThrow('interrupted while starting');
    expect(lines.some((l) => l.includes('the real tt02 environment'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Local Altinn'))).toBe(false);
  });
});
