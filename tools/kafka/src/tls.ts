import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** TLS material for a local cluster: a private CA and one broker certificate for 127.0.0.1 / localhost. */
export interface TlsMaterial {
  /** PEM of the CA that signed the broker certificate: what clients must trust (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** PKCS#12 keystore with the broker key, its certificate and the CA. */
  keystoreFile: string;
  keystorePassword: string;
}

function keytoolBin(javaBin: string): string {
  // Next to the java the brokers run with, so both come from the same JDK.
  const beside = path.join(path.dirname(javaBin), 'keytool');
  return path.isAbsolute(javaBin) && fs.existsSync(beside) ? beside : 'keytool';
}

/**
 * Makes (once per dir) a CA and a broker certificate with the JDK's keytool, valid 30 days, with
 * subjectAltName IP:127.0.0.1 and DNS:localhost so clients verify the host name as they would in
 * production. Reuses the files when they exist.
 */
export async function ensureTlsMaterial(dir: string, javaBin = 'java'): Promise<TlsMaterial> {
  fs.mkdirSync(dir, { recursive: true });
  const caFile = path.join(dir, 'ca.pem');
  const keystoreFile = path.join(dir, 'broker.p12');
  const passwordFile = path.join(dir, 'keystore.password');
  if ([caFile, keystoreFile, passwordFile].every((f) => fs.existsSync(f))) {
    return { caFile, keystoreFile, keystorePassword: fs.readFileSync(passwordFile, 'utf8').trim() };
  }
  const keytool = keytoolBin(javaBin);
  const pass = randomBytes(12).toString('hex');
  const caStore = path.join(dir, 'ca.p12');
  const csr = path.join(dir, 'broker.csr');
  const crt = path.join(dir, 'broker.crt');
  for (const f of [caStore, keystoreFile, csr, crt, caFile]) fs.rmSync(f, { force: true });
  const jvm = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC'];
  const kt = (args: string[]): Promise<unknown> => run(keytool, [...jvm, ...args], { cwd: dir });
  const common = [
    '-storetype',
    'PKCS12',
    '-storepass',
    pass,
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    '30',
  ];
  await kt([
    '-genkeypair',
    '-alias',
    'ca',
    '-dname',
    'CN=kafka-local test CA',
    '-ext',
    'bc:c',
    '-keystore',
    caStore,
    ...common,
  ]);
  await kt([
    '-exportcert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    caStore,
    '-storepass',
    pass,
    '-file',
    caFile,
  ]);
  await kt([
    '-genkeypair',
    '-alias',
    'broker',
    '-dname',
    'CN=localhost',
    '-keystore',
    keystoreFile,
    ...common,
  ]);
  await kt(['-certreq', '-alias', 'broker', '-keystore', keystoreFile, '-storepass', pass, '-file', csr]);
  await kt([
    '-gencert',
    '-alias',
    'ca',
    '-keystore',
    caStore,
    '-storepass',
    pass,
    '-infile',
    csr,
    '-outfile',
    crt,
    '-rfc',
    '-validity',
    '30',
    '-ext',
    'SAN=ip:127.0.0.1,dns:localhost',
    '-ext',
    'EKU=serverAuth',
  ]);
  await kt([
    '-importcert',
    '-noprompt',
    '-alias',
    'ca',
    '-file',
    caFile,
    '-keystore',
    keystoreFile,
    '-storepass',
    pass,
  ]);
  await kt([
    '-importcert',
    '-noprompt',
    '-alias',
    'broker',
    '-file',
    crt,
    '-keystore',
    keystoreFile,
    '-storepass',
    pass,
  ]);
  fs.writeFileSync(passwordFile, `${pass}\n`, { mode: 0o600 });
  fs.rmSync(csr, { force: true });
  return { caFile, keystoreFile, keystorePassword: pass };
}
