import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { Role } from './user';

/** What the session cookie holds (encrypted and authenticated): the user, their role, the CSRF token, expiry. */
export interface Session {
  sub: string;
  name: string;
  role: Role;
  /** Random per login; forms carry it back (`_csrf`). */
  csrf: string;
  /** The ID token, for the provider's logout. */
  idToken?: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** The short-lived login state between /auth/login and /auth/callback. */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  exp: number;
}

/**
 * Seals small JSON values into cookie-safe strings with AES-256-GCM, under keys derived from SESSION_SECRET (one
 * per purpose, so a login-state cookie can never pass for a session). Tampered, foreign or expired values open as
 * undefined.
 */
export class CookieSealer {
  private readonly keys: Map<string, Buffer>;

  constructor(secret: string) {
    const derive = (purpose: string): Buffer =>
      Buffer.from(hkdfSync('sha256', secret, 'broker-events-console', purpose, 32));
    this.keys = new Map(['session', 'login', 'csrf'].map((p) => [p, derive(p)]));
  }

  private key(purpose: 'session' | 'login' | 'csrf'): Buffer {
    const k = this.keys.get(purpose);
    if (!k) throw new Error(`no key for ${purpose}`);
    return k;
  }

  seal<T extends { exp: number }>(purpose: 'session' | 'login', value: T): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open<T extends { exp: number }>(
    purpose: 'session' | 'login',
    sealed: string | undefined,
    nowMs = Date.now(),
  ): T | undefined {
    if (!sealed || sealed.length > 8192) return undefined;
    try {
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 29) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const value = JSON.parse(text) as T;
      if (typeof value !== 'object' || value === null || typeof value.exp !== 'number') return undefined;
      return value.exp * 1000 > nowMs ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** A CSRF token for a user who has no session cookie (the trusted-header mode): bound to the user id. */
  csrfFor(userId: string): string {
    return createHmac('sha256', this.key('csrf')).update(userId).digest('base64url');
  }
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A path on this console to return to after login: only same-site paths, never `//host` or a scheme. */
export function safeReturnTo(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.startsWith('/\\')
  )
    return '/transfers';
  if (value.startsWith('/auth/')) return '/transfers';
  return value.length > 2000 ? '/transfers' : value;
}
