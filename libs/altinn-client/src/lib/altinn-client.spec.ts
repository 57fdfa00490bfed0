import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALTINN_SCOPES } from '@broker-events/contracts';
import { ConfigError, loadConfig } from '@broker-events/config';
import { readmeConfigSection } from '@broker-events/config/testing';
import { type AltinnStandIns, startAltinnStandIns } from '../testing';
import {
  altinnConfigProblems,
  altinnConfigSchema,
  altinnEndpoints,
  createAltinnClient,
} from './altinn-client';

function config(env: Record<string, string>) {
  return loadConfig('test', altinnConfigSchema, env);
}

describe('Altinn client configuration', () => {
  it('is documented in docs/configuration.md exactly as the schema says (UPDATE_DOCS=1 rewrites it)', () => {
    const { actual, expected } = readmeConfigSection('altinn', altinnConfigSchema);
    expect(actual).toBe(expected);
  });

  it('has TT02 and production presets', () => {
    expect(altinnEndpoints('tt02')).toEqual({
      environment: 'tt02',
      platformBaseUrl: 'https://platform.tt02.altinn.no',
      eventsApi: 'https://platform.tt02.altinn.no/events/api/v1',
      brokerApi: 'https://platform.tt02.altinn.no/broker/api/v1',
      tokenExchangeUrl: 'https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten',
      maskinportenAudience: 'https://test.maskinporten.no/',
      maskinportenTokenUrl: 'https://test.maskinporten.no/token',
    });
    expect(altinnEndpoints('production')).toMatchObject({
      eventsApi: 'https://platform.altinn.no/events/api/v1',
      maskinportenAudience: 'https://maskinporten.no/',
    });
  });

  it('names every problem: no auth, two auth modes, an incomplete client, a bad key — and never echoes the key', () => {
    expect(altinnConfigProblems(config({})).map((p) => p.variable)).toEqual(['MASKINPORTEN_CLIENT_ID']);
    expect(
      altinnConfigProblems(config({ ALTINN_TOKEN: 'a.b.c', MASKINPORTEN_TOKEN: 'd.e.f' })).map(
        (p) => p.variable,
      ),
    ).toEqual(['MASKINPORTEN_TOKEN']);
    const incomplete = altinnConfigProblems(
      config({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_PRIVATE_KEY: 'super-secret-not-a-key' }),
    );
    expect(incomplete.map((p) => p.variable)).toEqual(['MASKINPORTEN_KEY_ID', 'MASKINPORTEN_PRIVATE_KEY']);
    expect(JSON.stringify(incomplete)).not.toContain('super-secret');
    expect(
      altinnConfigProblems(
        config({
          MASKINPORTEN_CLIENT_ID: 'c',
          MASKINPORTEN_KEY_ID: 'k',
          MASKINPORTEN_PRIVATE_KEY_FILE: '/nope/key.pem',
        }),
      ),
    ).toEqual([{ variable: 'MASKINPORTEN_PRIVATE_KEY_FILE', reason: 'the file does not exist' }]);
    expect(() => config({ ALTINN_ENVIRONMENT: 'prod' })).toThrow(ConfigError);
  });

  describe('createAltinnClient against the stand-ins', () => {
    let s: AltinnStandIns;
    beforeAll(async () => {
      s = await startAltinnStandIns();
    });
    afterAll(async () => {
      await s.close();
    });

    it('uses the JWT grant with a key file and the default scopes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'altinn-key-'));
      const keyFile = join(dir, 'key.pem');
      writeFileSync(keyFile, s.privateKeyPem);
      const { MASKINPORTEN_PRIVATE_KEY: _inline, ...env } = s.env;
      const cfg = config({ ...env, MASKINPORTEN_PRIVATE_KEY_FILE: keyFile });
      expect(altinnConfigProblems(cfg)).toEqual([]);
      const client = createAltinnClient(cfg, { defaultScopes: [ALTINN_SCOPES.eventsSubscribe] });
      expect(client.authMode).toBe('maskinporten-grant');
      expect(await client.events.listSubscriptions()).toEqual([]);
      expect(s.maskinporten.issued).toBeGreaterThan(0);
    });

    it('accepts a key with escaped newlines (as env files often carry it)', async () => {
      const cfg = config({ ...s.env, MASKINPORTEN_PRIVATE_KEY: s.privateKeyPem.replace(/\n/g, '\\n') });
      expect(altinnConfigProblems(cfg)).toEqual([]);
      await expect(createAltinnClient(cfg).events.listSubscriptions()).resolves.toEqual([]);
    });

    it('uses a pre-issued Altinn token as is', async () => {
      const cfg = config({
        ALTINN_PLATFORM_URL: s.platform.url,
        ALTINN_TOKEN: s.platform.issueAltinnToken(s.organisationNumber, [ALTINN_SCOPES.eventsSubscribe]),
      });
      const client = createAltinnClient(cfg);
      expect(client.authMode).toBe('altinn-token');
      await expect(client.events.listSubscriptions()).resolves.toEqual([]);
    });
  });
});
