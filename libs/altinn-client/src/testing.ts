/**
 * Local stand-ins for Maskinporten and the Altinn platform (token exchange, Events, Broker), for tests. Kept
 * out of the main entry point so test code never ships.
 */
import { generateKeyPairSync } from 'node:crypto';
import { type Clock } from './testing/stand-in-server';
import { MaskinportenStandIn } from './testing/maskinporten-stand-in';
import { AltinnPlatformStandIn, type PlatformStandInOptions } from './testing/platform-stand-in';

export { StandInServer, issueHs256, verifyHs256 } from './testing/stand-in-server';
export type { Clock, InjectedFailure, RequestRecord } from './testing/stand-in-server';
export { MaskinportenStandIn } from './testing/maskinporten-stand-in';
export type {
  MaskinportenClientRegistration,
  MaskinportenStandInOptions,
} from './testing/maskinporten-stand-in';
export {
  AltinnPlatformStandIn,
  BROKER_NO_ACCESS_DETAIL,
  EVENTS_CONSISTENCY_WINDOW_MS,
  HANDSHAKE_RETRY_DELAYS_MS,
  WEBHOOK_RETRY_DELAYS_MS,
  WEBHOOK_TIMEOUT_MS,
} from './testing/platform-stand-in';
export type {
  FileTransferSpec,
  HandshakeRecord,
  PlatformStandInOptions,
  WebhookAttempt,
  WebhookDelivery,
} from './testing/platform-stand-in';

/** A fresh RSA key pair (PEM), as registered on a Maskinporten client. */
export function testKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface AltinnStandIns {
  maskinporten: MaskinportenStandIn;
  platform: AltinnPlatformStandIn;
  /** Our organisation (registered on the Maskinporten client). */
  organisationNumber: string;
  clientId: string;
  keyId: string;
  privateKeyPem: string;
  /** Env for `altinnConfigSchema` pointing at the stand-ins with the JWT grant. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Maskinporten + platform stand-ins with one registered client for `organisationNumber` that may ask for
 * every Events and Broker scope.
 */
export async function startAltinnStandIns(
  options: {
    organisationNumber?: string;
    clock?: Clock;
    platform?: Omit<PlatformStandInOptions, 'maskinporten' | 'clock'>;
  } = {},
): Promise<AltinnStandIns> {
  const organisationNumber = options.organisationNumber ?? '312000008';
  const maskinporten = await MaskinportenStandIn.start({ clock: options.clock });
  const platform = await AltinnPlatformStandIn.start({
    ...options.platform,
    clock: options.clock,
    maskinporten,
  });
  const { privateKeyPem, publicKeyPem } = testKeyPair();
  const clientId = 'test-client-id';
  const keyId = 'test-key-1';
  maskinporten.registerClient({
    clientId,
    keyId,
    publicKey: publicKeyPem,
    organisationNumber,
    scopes: ['altinn:events.subscribe', 'altinn:broker.read', 'altinn:broker.write'],
  });
  return {
    maskinporten,
    platform,
    organisationNumber,
    clientId,
    keyId,
    privateKeyPem,
    env: {
      ALTINN_ENVIRONMENT: 'tt02',
      ALTINN_PLATFORM_URL: platform.url,
      MASKINPORTEN_URL: maskinporten.url,
      MASKINPORTEN_CLIENT_ID: clientId,
      MASKINPORTEN_KEY_ID: keyId,
      MASKINPORTEN_PRIVATE_KEY: privateKeyPem,
    },
    close: async () => {
      await platform.close();
      await maskinporten.close();
    },
  };
}
