import { WebhookAuthenticator, redactWebhookUrl } from './webhook-auth';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('WebhookAuthenticator.tokenFromUrl', () => {
  it.each([
    [`/altinn/events/${A}`, { webhook: true, token: A }],
    [`/altinn/events?code=${A}`, { webhook: true, token: A }],
    [`/altinn/events/${A}?code=${B}`, { webhook: true, token: A }],
    ['/altinn/events', { webhook: true }],
    ['/altinn/events?code=x&code=y', { webhook: true }],
    [`/altinn/events/${A}/extra`, { webhook: true }],
    ['/altinn/events/%E0%A4%A', { webhook: true }],
    ['/health/ready', { webhook: false }],
    ['/altinn/eventsX', { webhook: false }],
  ])('%s → %j', (url, expected) => {
    expect(WebhookAuthenticator.tokenFromUrl(url)).toEqual(expected);
  });
});

describe('WebhookAuthenticator', () => {
  it('accepts every configured token, for rotation, and nothing else', () => {
    const auth = new WebhookAuthenticator([A, B], []);
    expect(auth.tokenAccepted(A)).toBe(true);
    expect(auth.tokenAccepted(B)).toBe(true);
    expect(auth.tokenAccepted(A.slice(1))).toBe(false);
    expect(auth.tokenAccepted(A + 'a')).toBe(false);
    expect(auth.tokenAccepted('')).toBe(false);
    expect(auth.tokenAccepted(undefined)).toBe(false);
    expect(auth.tokenAccepted('x'.repeat(10_000))).toBe(false);
  });

  it('allows every source when no allow-list is configured', () => {
    expect(new WebhookAuthenticator([A], []).sourceAllowed('203.0.113.1')).toBe(true);
  });

  it('checks sources against CIDRs and single addresses, including IPv4-mapped IPv6', () => {
    const auth = new WebhookAuthenticator(
      [A],
      ['20.100.24.41/32', '10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
    );
    expect(auth.sourceAllowed('20.100.24.41')).toBe(true);
    expect(auth.sourceAllowed('20.100.24.42')).toBe(false);
    expect(auth.sourceAllowed('10.200.1.1')).toBe(true);
    expect(auth.sourceAllowed('::ffff:10.1.1.1')).toBe(true);
    expect(auth.sourceAllowed('2001:db8::1')).toBe(true);
    expect(auth.sourceAllowed('2001:db9::1')).toBe(false);
    expect(auth.sourceAllowed('192.0.2.7')).toBe(true);
    expect(auth.sourceAllowed(undefined)).toBe(false);
  });
});

describe('redactWebhookUrl', () => {
  it('never lets a token through to the logs', () => {
    expect(redactWebhookUrl(`/altinn/events/${A}`)).toBe('/altinn/events/[redacted]');
    expect(redactWebhookUrl(`/altinn/events?code=${A}`)).toBe('/altinn/events?code=[redacted]');
    expect(redactWebhookUrl(`/metrics?x=${A}`)).toBe('/metrics');
  });
});
