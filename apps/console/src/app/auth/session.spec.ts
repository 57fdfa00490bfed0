import { CookieSealer, safeReturnTo, sameToken } from './session';

describe('CookieSealer', () => {
  const sealer = new CookieSealer('x'.repeat(32));
  const exp = Math.floor(Date.now() / 1000) + 60;

  it('opens what it sealed, and nothing tampered, expired, foreign or of another purpose', () => {
    const sealed = sealer.seal('session', { exp, sub: 'a' });
    expect(sealer.open('session', sealed)).toEqual({ exp, sub: 'a' });
    expect(sealer.open('login', sealed)).toBeUndefined();
    expect(new CookieSealer('y'.repeat(32)).open('session', sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1] ^= 1;
    expect(sealer.open('session', bytes.toString('base64url'))).toBeUndefined();
    expect(sealer.open('session', sealer.seal('session', { exp: exp - 120 }))).toBeUndefined();
    expect(sealer.open('session', 'garbage')).toBeUndefined();
    expect(sealer.open('session', undefined)).toBeUndefined();
  });

  it('binds the header mode CSRF token to the user', () => {
    expect(sealer.csrfFor('a')).toBe(sealer.csrfFor('a'));
    expect(sealer.csrfFor('a')).not.toBe(sealer.csrfFor('b'));
    expect(sameToken(sealer.csrfFor('a'), sealer.csrfFor('a'))).toBe(true);
    expect(sameToken(undefined, 'x')).toBe(false);
    expect(sameToken('xy', 'x')).toBe(false);
  });
});

describe('safeReturnTo', () => {
  it('keeps paths on this console only', () => {
    expect(safeReturnTo('/transfers/abc?x=1')).toBe('/transfers/abc?x=1');
    expect(safeReturnTo('//evil.example')).toBe('/transfers');
    expect(safeReturnTo('https://evil.example')).toBe('/transfers');
    expect(safeReturnTo('/\\evil.example')).toBe('/transfers');
    expect(safeReturnTo('/auth/callback')).toBe('/transfers');
    expect(safeReturnTo(undefined)).toBe('/transfers');
  });
});
