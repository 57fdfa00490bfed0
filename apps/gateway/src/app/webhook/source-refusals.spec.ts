import { SourceRefusals, isInternalAddress, refusalHint } from './source-refusals';

describe('isInternalAddress', () => {
  it('knows the ranges a load balancer or ingress sits in, and Altinn’s public addresses are not among them', () => {
    for (const ip of [
      '10.244.1.7',
      '172.20.0.3',
      '192.168.1.1',
      '100.64.0.9',
      '127.0.0.1',
      '::1',
      'fd00::5',
      '::ffff:10.0.0.1',
    ])
      expect({ ip, internal: isInternalAddress(ip) }).toEqual({ ip, internal: true });
    for (const ip of ['20.100.24.41', '20.100.46.139', '8.8.8.8', '2001:4860::1', 'not-an-ip'])
      expect({ ip, internal: isInternalAddress(ip) }).toEqual({ ip, internal: false });
  });
});

describe('refusalHint', () => {
  it('names the address seen and points at TRUSTED_PROXY_HOPS when it is internal', () => {
    const hint = refusalHint({ address: '10.244.0.12' }, 0);
    expect(hint).toContain('10.244.0.12');
    expect(hint).toContain('load balancer or ingress');
    expect(hint).toContain('TRUSTED_PROXY_HOPS');
    expect(hint).toContain('externalTrafficPolicy: Local');
  });

  it('says an X-Forwarded-For header came but was not trusted', () => {
    const hint = refusalHint({ address: '10.0.0.2', forwardedFor: '20.100.24.41' }, 0);
    expect(hint).toContain('X-Forwarded-For "20.100.24.41"');
    expect(hint).toContain('TRUSTED_PROXY_HOPS is 0');
  });

  it('gives Altinn’s push addresses for a public address', () => {
    expect(refusalHint({ address: '8.8.8.8' }, 1)).toContain(
      '20.100.24.41 (TT02) and 20.100.46.139 (production)',
    );
  });
});

describe('SourceRefusals', () => {
  it('logs an address at most once a minute, and notes refusals until a request is allowed', () => {
    let now = 0;
    const refusals = new SourceRefusals(0, 15 * 60_000, () => now);
    expect(refusals.note()).toBeUndefined();
    expect(refusals.refused({ address: '10.0.0.1' })).toContain('10.0.0.1');
    now += 1000;
    expect(refusals.refused({ address: '10.0.0.1' })).toBeUndefined();
    expect(refusals.refused({ address: '10.0.0.2' })).toContain('10.0.0.2');
    expect(refusals.note()).toMatch(/^3 webhook request\(s\) refused .* none allowed since: .*10\.0\.0\.2/);
    now += 60_000;
    expect(refusals.refused({ address: '10.0.0.1' })).toContain('10.0.0.1');
    now += 1;
    refusals.allowed();
    expect(refusals.note()).toBeUndefined();
  });

  it('forgets refusals older than its window', () => {
    let now = 0;
    const refusals = new SourceRefusals(0, 60_000, () => now);
    refusals.refused({ address: '10.0.0.1' });
    now += 60_001;
    expect(refusals.note()).toBeUndefined();
    refusals.refused({ address: '10.0.0.1' });
    expect(refusals.note()).toMatch(/^1 webhook request/);
  });
});
