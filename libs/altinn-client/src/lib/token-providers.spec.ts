import { ALTINN_SCOPES } from '@broker-events/contracts';
import { type AltinnStandIns, startAltinnStandIns, testKeyPair } from '../testing';
import { AltinnApiError } from './errors';
import { jwtExpiry, jwtPayload, signGrant } from './jwt';
import { AltinnTokenExchange, MaskinportenTokenProvider, StaticTokenProvider } from './token-providers';

describe('Maskinporten JWT grant and Altinn token exchange (against the stand-ins)', () => {
  let now = Date.parse('2026-11-27T10:00:00Z');
  const clock = (): number => now;
  let s: AltinnStandIns;

  beforeEach(async () => {
    now = Date.parse('2026-11-27T10:00:00Z');
    s = await startAltinnStandIns({ clock });
  });
  afterEach(async () => {
    await s.close();
  });

  const grant = (
    overrides: Partial<ConstructorParameters<typeof MaskinportenTokenProvider>[0]> = {},
  ): MaskinportenTokenProvider =>
    new MaskinportenTokenProvider({
      tokenUrl: `${s.maskinporten.url}/token`,
      audience: s.maskinporten.issuer,
      clientId: s.clientId,
      keyId: s.keyId,
      privateKey: s.privateKeyPem,
      scopes: [ALTINN_SCOPES.eventsSubscribe, ALTINN_SCOPES.brokerRead],
      now: clock,
      timeoutMs: 2000,
      ...overrides,
    });

  it('signs an RS256 grant with kid, aud, iss, scope, iat, exp and jti', () => {
    const jwt = signGrant(s.privateKeyPem, 'kid-1', {
      audience: 'https://test.maskinporten.no/',
      issuer: 'client',
      scopes: ['a', 'b'],
      now: new Date(now),
    });
    const header = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    const claims = jwtPayload(jwt);
    expect(claims).toMatchObject({
      aud: 'https://test.maskinporten.no/',
      iss: 'client',
      scope: 'a b',
      iat: now / 1000,
      exp: now / 1000 + 120,
    });
    expect(typeof claims?.['jti']).toBe('string');
  });

  it('gets a token that the stand-in accepts, and caches it until shortly before expiry', async () => {
    const provider = grant();
    const [a, b] = await Promise.all([provider.token(), provider.token()]);
    expect(a).toBe(b);
    expect(s.maskinporten.issued).toBe(1);
    expect(s.maskinporten.verify(a)?.['scope']).toBe('altinn:events.subscribe altinn:broker.read');

    now += 30_000; // 120 s lifetime, 60 s skew: still fresh
    expect(await provider.token()).toBe(a);
    expect(s.maskinporten.issued).toBe(1);

    now += 31_000; // inside the skew: refresh
    const c = await provider.token();
    expect(c).not.toBe(a);
    expect(s.maskinporten.issued).toBe(2);
  });

  it('surfaces a refused grant (wrong key) as a bad-request AltinnApiError', async () => {
    const provider = grant({ privateKey: testKeyPair().privateKeyPem });
    await expect(provider.token()).rejects.toMatchObject({ kind: 'bad-request', status: 400 });
  });

  it('refuses a scope the client was not granted', async () => {
    const provider = grant({ scopes: ['altinn:serviceowner'] });
    await expect(provider.token()).rejects.toBeInstanceOf(AltinnApiError);
  });

  it('maps 5xx to a retryable server-error and a slow answer to a timeout, then recovers', async () => {
    const provider = grant({ timeoutMs: 200 });
    s.maskinporten.fail({ status: 503 });
    const failed = await provider.token().catch((e: unknown) => e);
    expect(failed).toMatchObject({ kind: 'server-error', status: 503, retryable: true });

    s.maskinporten.fail({ delayMs: 2000 });
    await expect(provider.token()).rejects.toMatchObject({ kind: 'timeout', retryable: true });

    await expect(provider.token()).resolves.toEqual(expect.any(String));
  });

  it('exchanges the Maskinporten token for an Altinn token, strips the quotes and caches it by its exp', async () => {
    const exchange = new AltinnTokenExchange({
      exchangeUrl: `${s.platform.url}/authentication/api/v1/exchange/maskinporten`,
      source: grant(),
      now: clock,
    });
    const token = await exchange.token();
    expect(token.startsWith('"')).toBe(false);
    expect(jwtPayload(token)?.['urn:altinn:orgNumber']).toBe(s.organisationNumber);
    expect(await exchange.token()).toBe(token);
    expect(s.platform.exchanged).toBe(1);

    const expiry = jwtExpiry(token)?.getTime() ?? 0;
    now = expiry - 30_000; // inside the 60 s skew
    await exchange.token();
    expect(s.platform.exchanged).toBe(2);
  });

  it('a 401 at the exchange is reported and the Maskinporten token is dropped', async () => {
    const source = grant();
    const exchange = new AltinnTokenExchange({
      exchangeUrl: `${s.platform.url}/authentication/api/v1/exchange/maskinporten`,
      source,
      now: clock,
    });
    s.platform.fail({ status: 401, path: /exchange/ });
    await expect(exchange.token()).rejects.toMatchObject({ kind: 'unauthorized' });
    await exchange.token();
    expect(s.maskinporten.issued).toBe(2);
  });

  it('exchanges a pre-issued Maskinporten token', async () => {
    const pre = s.maskinporten.issueToken(s.organisationNumber, [ALTINN_SCOPES.eventsSubscribe]);
    const exchange = new AltinnTokenExchange({
      exchangeUrl: `${s.platform.url}/authentication/api/v1/exchange/maskinporten`,
      source: new StaticTokenProvider(pre),
      now: clock,
    });
    expect(jwtPayload(await exchange.token())?.['scope']).toBe(ALTINN_SCOPES.eventsSubscribe);
    expect(() => new StaticTokenProvider('  ')).toThrow(RangeError);
  });
});
