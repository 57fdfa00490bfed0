import {
  AltinnPlatformStandIn,
  EVENTS_CONSISTENCY_WINDOW_MS,
  HANDSHAKE_RETRY_DELAYS_MS,
  MaskinportenStandIn,
  WEBHOOK_RETRY_DELAYS_MS,
  testKeyPair,
} from '@broker-events/altinn-client/testing';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local Altinn `npm start` runs when no real environment is configured: the stand-ins the tests use
 * (libs/altinn-client's `testing` entry: Maskinporten, the token exchange, Events with subscriptions, webhook
 * pushes and GET /events, Broker with real file transfers), in this process, with two Maskinporten clients whose
 * keys are generated on first run and kept in `<stateDir>/altinn/`.
 */

/** Our organisation locally (a valid, synthetic organisation number): the recipient of the demo's transfers. */
export const LOCAL_ORGANISATION = '312000008';
/** The organisation that sends files to us in the demo. */
export const LOCAL_SENDER_ORGANISATION = '311000004';
/** The Broker resource the local Altinn's transfers and subscription are on. */
export const LOCAL_RESOURCE_ID = 'broker-events-local-resource';
/**
 * How much faster the local Altinn's clock-driven behaviour runs than Altinn's: webhook retries (10 s … 12 h,
 * ≈1.5 days), handshake retries and GET /events' 30 s consistency window are divided by it. 60: a minute of
 * Altinn's schedule takes a second, the whole push retry tail about 36 minutes.
 */
export const DEFAULT_TIME_SCALE = 60;

export interface LocalAltinnClient {
  organisationNumber: string;
  clientId: string;
  keyId: string;
  /** PEM file of the client's private key (mode 0600). */
  privateKeyFile: string;
}

/** What the demo and `npm run subscriptions:local` need to talk to the local Altinn, written to stack.json. */
export interface LocalAltinnInfo {
  platformUrl: string;
  maskinportenUrl: string;
  resourceId: string;
  /** Our Maskinporten client (the apps use it). */
  client: LocalAltinnClient;
  /** The sender's Maskinporten client (the demo uses it to send files). */
  sender: LocalAltinnClient;
  /** The endpoint of the subscription `npm start` ensures (delivered to the local gateway). */
  subscriptionEndpoint: string;
  timeScale: number;
}

export interface LocalAltinn {
  readonly info: LocalAltinnInfo;
  readonly platform: AltinnPlatformStandIn;
  readonly maskinporten: MaskinportenStandIn;
  close(): Promise<void>;
}

/** The apps' Altinn settings (altinnConfigSchema) for one of the local Altinn's clients. */
export function localAltinnEnv(info: LocalAltinnInfo, client: LocalAltinnClient): Record<string, string> {
  return {
    // The stand-ins behave as TT02 does; the URLs point at them.
    ALTINN_ENVIRONMENT: 'tt02',
    ALTINN_PLATFORM_URL: info.platformUrl,
    MASKINPORTEN_URL: info.maskinportenUrl,
    MASKINPORTEN_CLIENT_ID: client.clientId,
    MASKINPORTEN_KEY_ID: client.keyId,
    MASKINPORTEN_PRIVATE_KEY_FILE: client.privateKeyFile,
  };
}

/**
 * Where the local Altinn delivers a push (and the handshake) for a subscription endpoint. Altinn only accepts
 * https endpoints with a public certificate; locally `https://<name>.localhost[:port]/path` (or `localhost`)
 * stands for `http://127.0.0.1:<port>/path`, without a port the gateway. Anything else is not called, as
 * Altinn could not reach it.
 */
export function localDelivery(gatewayPort: number): (endPoint: string) => string {
  return (endPoint) => {
    let url: URL;
    try {
      url = new URL(endPoint);
    } catch {
      return endPoint;
    }
    if (url.hostname !== 'localhost' && !url.hostname.endsWith('.localhost')) return endPoint;
    return `http://127.0.0.1:${url.port || String(gatewayPort)}${url.pathname}${url.search}`;
  };
}

/** A Maskinporten client's key pair kept in `dir`: generated on first run, the same afterwards. */
function clientKey(dir: string, name: string): { privateKeyFile: string; publicKeyPem: string } {
  const privateKeyFile = join(dir, `${name}.key.pem`);
  if (!existsSync(privateKeyFile)) {
    const { privateKeyPem } = testKeyPair();
    writeFileSync(privateKeyFile, privateKeyPem, { mode: 0o600 });
  }
  const publicKeyPem = createPublicKey(readFileSync(privateKeyFile, 'utf8'))
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { privateKeyFile, publicKeyPem };
}

export interface LocalAltinnOptions {
  stateDir: string;
  /** The local gateway's port: where pushes to `https://*.localhost/…` go. */
  gatewayPort: number;
  /** The subscription endpoint's path (the gateway's webhook path with its token). */
  webhookPath: string;
  ports?: { platform?: number; maskinporten?: number };
  timeScale?: number;
}

export async function startLocalAltinn(options: LocalAltinnOptions): Promise<LocalAltinn> {
  const scale = options.timeScale ?? DEFAULT_TIME_SCALE;
  const scaled = (delays: readonly number[]): number[] =>
    delays.map((ms) => Math.max(1, Math.round(ms / scale)));
  const dir = join(options.stateDir, 'altinn');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ours = clientKey(dir, 'broker-events');
  const theirs = clientKey(dir, 'sender');

  const maskinporten = await MaskinportenStandIn.start({ port: options.ports?.maskinporten ?? 0 });
  let platform: AltinnPlatformStandIn;
  try {
    platform = await AltinnPlatformStandIn.start({
      port: options.ports?.platform ?? 0,
      maskinporten,
      handshake: 'post',
      deliverTo: localDelivery(options.gatewayPort),
      handshakeRetryDelaysMs: scaled(HANDSHAKE_RETRY_DELAYS_MS),
      webhookRetryDelaysMs: scaled(WEBHOOK_RETRY_DELAYS_MS),
      consistencyWindowMs: Math.round(EVENTS_CONSISTENCY_WINDOW_MS / scale),
    });
  } catch (error) {
    await maskinporten.close();
    throw error;
  }
  const client: LocalAltinnClient = {
    organisationNumber: LOCAL_ORGANISATION,
    clientId: 'broker-events-local',
    keyId: 'local-key-1',
    privateKeyFile: ours.privateKeyFile,
  };
  const sender: LocalAltinnClient = {
    organisationNumber: LOCAL_SENDER_ORGANISATION,
    clientId: 'local-sender',
    keyId: 'local-sender-key-1',
    privateKeyFile: theirs.privateKeyFile,
  };
  const scopes = ['altinn:events.subscribe', 'altinn:broker.read', 'altinn:broker.write'];
  maskinporten.registerClient({ ...client, publicKey: ours.publicKeyPem, scopes });
  maskinporten.registerClient({ ...sender, publicKey: theirs.publicKeyPem, scopes });
  return {
    info: {
      platformUrl: platform.url,
      maskinportenUrl: maskinporten.url,
      resourceId: LOCAL_RESOURCE_ID,
      client,
      sender,
      subscriptionEndpoint: `https://gateway.localhost${options.webhookPath}`,
      timeScale: scale,
    },
    platform,
    maskinporten,
    close: async () => {
      await platform.close();
      await maskinporten.close();
    },
  };
}
