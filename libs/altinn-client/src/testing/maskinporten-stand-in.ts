import { type KeyObject, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, StandInServer, issueHs256, json, readBody, verifyHs256 } from './stand-in-server';

export interface MaskinportenClientRegistration {
  clientId: string;
  keyId: string;
  /** PEM or KeyObject of the public key registered for `keyId`. */
  publicKey: string | KeyObject;
  /** The organisation the client belongs to (9 digits). */
  organisationNumber: string;
  /** Scopes the client may ask for. */
  scopes: string[];
}

export interface MaskinportenStandInOptions {
  clock?: Clock;
  /** `expires_in` of issued tokens, seconds (Maskinporten's default is 120). */
  tokenLifetimeSeconds?: number;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
}

function oauthError(res: ServerResponse, error: string, description: string): void {
  json(res, 400, { error, error_description: description });
}

/**
 * Maskinporten's token endpoint (`POST /token`, RFC 7523 JWT-bearer grant). It checks what the real one
 * checks that a client can get wrong: grant type, RS256 signature by the registered `kid`, `aud` = the
 * issuer URL with its trailing slash, `iss` = client id, a lifetime of at most 120 s, a fresh `jti`, and
 * scopes the client was granted. It issues HS256 JWTs that the platform stand-in accepts.
 */
export class MaskinportenStandIn extends StandInServer {
  readonly secret = randomBytes(32).toString('hex');
  private readonly clients = new Map<string, MaskinportenClientRegistration>();
  private readonly usedJti = new Set<string>();
  private lifetimeSeconds: number;
  /** Tokens issued so far. */
  issued = 0;

  constructor(options: MaskinportenStandInOptions = {}) {
    super(options.clock);
    this.lifetimeSeconds = options.tokenLifetimeSeconds ?? 120;
  }

  static async start(options: MaskinportenStandInOptions = {}): Promise<MaskinportenStandIn> {
    return new MaskinportenStandIn(options).start(options.port);
  }

  /** The `aud` a grant must carry. */
  get issuer(): string {
    return `${this.url}/`;
  }

  registerClient(client: MaskinportenClientRegistration): void {
    this.clients.set(client.clientId, client);
  }

  setTokenLifetime(seconds: number): void {
    this.lifetimeSeconds = seconds;
  }

  /** Claims of a token this stand-in issued and that is still valid. */
  verify(token: string): Record<string, unknown> | undefined {
    return verifyHs256(this.secret, token, this.now());
  }

  /** A token as if issued by the grant, for tests of the pre-issued token mode. */
  issueToken(
    organisationNumber: string,
    scopes: string[],
    lifetimeSeconds = this.lifetimeSeconds,
    clientId = 'pre-issued',
  ): string {
    const iat = Math.floor(this.now() / 1000);
    return issueHs256(this.secret, {
      iss: this.issuer,
      client_id: clientId,
      scope: scopes.join(' '),
      consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${organisationNumber}` },
      iat,
      exp: iat + lifetimeSeconds,
      jti: randomUUID(),
    });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname !== '/token' || req.method !== 'POST') {
      json(res, 404, { error: 'not_found' });
      return;
    }
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return oauthError(
        res,
        'unsupported_grant_type',
        'grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer',
      );
    }
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError(res, 'invalid_grant', 'assertion is not a JWT');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return oauthError(res, 'invalid_grant', 'assertion is not a JWT');
    }
    const client = typeof claims['iss'] === 'string' ? this.clients.get(claims['iss']) : undefined;
    if (!client) return oauthError(res, 'invalid_client', 'unknown client (iss)');
    if (header['alg'] !== 'RS256') return oauthError(res, 'invalid_grant', 'alg must be RS256');
    if (header['kid'] !== client.keyId) return oauthError(res, 'invalid_grant', 'unknown kid');
    const key = typeof client.publicKey === 'string' ? createPublicKey(client.publicKey) : client.publicKey;
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) {
      return oauthError(res, 'invalid_grant', 'signature does not verify');
    }
    if (claims['aud'] !== this.issuer) return oauthError(res, 'invalid_grant', `aud must be ${this.issuer}`);
    const now = Math.floor(this.now() / 1000);
    const iat = claims['iat'];
    const exp = claims['exp'];
    if (typeof iat !== 'number' || typeof exp !== 'number')
      return oauthError(res, 'invalid_grant', 'iat and exp are required');
    if (exp <= now) return oauthError(res, 'invalid_grant', 'the assertion has expired');
    if (exp - iat > 120) return oauthError(res, 'invalid_grant', 'the assertion may live at most 120 s');
    const jti = claims['jti'];
    if (typeof jti !== 'string' || jti.length === 0)
      return oauthError(res, 'invalid_grant', 'jti is required');
    if (this.usedJti.has(jti)) return oauthError(res, 'invalid_grant', 'jti already used');
    this.usedJti.add(jti);
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter(Boolean) : [];
    if (scopes.length === 0 || scopes.some((s) => !client.scopes.includes(s))) {
      return oauthError(res, 'invalid_scope', 'the client may not have all of these scopes');
    }
    this.issued++;
    json(res, 200, {
      access_token: this.issueToken(client.organisationNumber, scopes, this.lifetimeSeconds, client.clientId),
      token_type: 'Bearer',
      expires_in: this.lifetimeSeconds,
      scope: scopes.join(' '),
    });
  }
}
