import { loadConfig } from '@broker-events/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaAccessProblem } from './kafka-access';
import { kafkaConfigProblems, kafkaConfigSchema } from './kafka-config';

const cfg = (env: Record<string, string> = {}) =>
  loadConfig('test', kafkaConfigSchema, {
    KAFKA_BROKERS: '127.0.0.1:9093',
    KAFKA_SSL: 'true',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'app',
    KAFKA_SASL_PASSWORD: 'secret',
    ...env,
  });

/** Shaped as kafkajs throws them: the cause in `originalError`. */
function wrapped(inner: Error): Error {
  const outer = new Error('Connection error') as Error & { originalError: Error };
  outer.name = 'KafkaJSNonRetriableError';
  outer.originalError = inner;
  return outer;
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('kafkaAccessProblem', () => {
  it('names the password when the broker rejects the SASL credentials', () => {
    const sasl = new Error('SASL SCRAM SHA512 authentication failed: invalid credentials');
    sasl.name = 'KafkaJSSASLAuthenticationError';
    const p = kafkaAccessProblem(cfg(), wrapped(sasl));
    expect(p?.variable).toBe('KAFKA_SASL_PASSWORD');
    expect(p?.reason).toContain('user "app"');
    expect(p?.reason).not.toContain('secret');
  });

  it('names the CA file for an untrusted certificate, with or without one set', () => {
    const err = wrapped(
      withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
    );
    expect(kafkaAccessProblem(cfg(), err)).toEqual({
      variable: 'KAFKA_SSL_CA_FILE',
      reason: expect.stringContaining('not trusted by the system CAs (SELF_SIGNED_CERT_IN_CHAIN)'),
    });
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    expect(kafkaAccessProblem(cfg({ KAFKA_SSL_CA_FILE: join(dir, 'ca.pem') }), err)?.reason).toContain(
      `not signed by a CA in ${join(dir, 'ca.pem')}`,
    );
  });

  it('names the broker list when the certificate does not name the host', () => {
    const err = withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID');
    expect(kafkaAccessProblem(cfg(), err)?.variable).toBe('KAFKA_BROKERS');
  });

  it('is no configuration problem when the broker is down or slow', () => {
    expect(
      kafkaAccessProblem(cfg(), wrapped(withCode('connect ECONNREFUSED', 'ECONNREFUSED'))),
    ).toBeUndefined();
    expect(kafkaAccessProblem(cfg(), new Error('no answer within 13000 ms'))).toBeUndefined();
  });
});

describe('KAFKA_SSL_CA_FILE checks', () => {
  it('needs KAFKA_SSL and a readable PEM file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    writeFileSync(join(dir, 'empty.pem'), 'nothing here');
    expect(
      kafkaConfigProblems(cfg({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })),
    ).toEqual([
      { variable: 'KAFKA_SSL_CA_FILE', reason: 'is set but KAFKA_SSL is false' },
      { variable: 'KAFKA_SSL_CA_FILE', reason: 'cannot be read (ENOENT)' },
    ]);
    expect(kafkaConfigProblems(cfg({ KAFKA_SSL_CA_FILE: join(dir, 'empty.pem') }))).toEqual([
      { variable: 'KAFKA_SSL_CA_FILE', reason: 'holds no PEM certificate' },
    ]);
  });
});
