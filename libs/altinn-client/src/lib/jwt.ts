import { type KeyObject, createPrivateKey, randomUUID, sign } from 'node:crypto';

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

export interface GrantClaims {
  /** Maskinporten's issuer, e.g. `https://test.maskinporten.no/`. */
  audience: string;
  /** Our Maskinporten client id. */
  issuer: string;
  scopes: readonly string[];
  /** Seconds the grant is valid; Maskinporten accepts at most 120. */
  lifetimeSeconds?: number;
  now?: Date;
}

/**
 * The JWT-bearer grant Maskinporten expects: RS256, `kid` in the header, claims aud/iss/scope/iat/exp/jti.
 * The private key is a PEM (PKCS#8 or PKCS#1) or a KeyObject.
 */
export function signGrant(privateKey: string | KeyObject, keyId: string, claims: GrantClaims): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const iat = Math.floor((claims.now ?? new Date()).getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: keyId };
  const payload = {
    aud: claims.audience,
    iss: claims.issuer,
    scope: claims.scopes.join(' '),
    iat,
    exp: iat + Math.min(claims.lifetimeSeconds ?? 120, 120),
    jti: randomUUID(),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${base64url(signature)}`;
}

/** The decoded payload of a JWT, without verifying anything; undefined when it is not a JWT. */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` of a JWT as a Date, when the token is a JWT that has one. */
export function jwtExpiry(token: string): Date | undefined {
  const exp = jwtPayload(token)?.['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
}

/** Validates a PEM private key up front, so a bad key fails at start-up, not on the first call. */
export function loadPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`the Maskinporten key must be an RSA key (RS256), got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}
