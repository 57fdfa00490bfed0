import { readFileSync } from 'node:fs';
import { ALTINN_ENVIRONMENTS, ALTINN_SCOPES, type AltinnEnvironmentName } from '@broker-events/contracts';
import {
  type ConfigOf,
  type ConfigProblem,
  bool,
  int,
  list,
  oneOf,
  optional,
  str,
  url,
} from '@broker-events/config';
import { BrokerClient } from './broker-client';
import { EventsClient } from './events-client';
import type { FetchLike } from './http';
import { joinUrl } from './http';
import { loadPrivateKey } from './jwt';
import {
  AltinnTokenExchange,
  MaskinportenTokenProvider,
  StaticTokenProvider,
  type TokenProvider,
} from './token-providers';

/** Every URL the clients need, for one environment. */
export interface AltinnEndpoints {
  environment: AltinnEnvironmentName;
  platformBaseUrl: string;
  eventsApi: string;
  brokerApi: string;
  tokenExchangeUrl: string;
  /** Maskinporten's issuer: the `aud` of our grant (with the trailing slash). */
  maskinportenAudience: string;
  maskinportenTokenUrl: string;
}

/**
 * The TT02 or production preset (contracts' ALTINN_ENVIRONMENTS), optionally pointed at another platform or
 * Maskinporten base URL (a proxy, or the local stand-ins in tests).
 */
export function altinnEndpoints(
  environment: AltinnEnvironmentName,
  overrides: { platformBaseUrl?: string; maskinportenUrl?: string } = {},
): AltinnEndpoints {
  const preset = ALTINN_ENVIRONMENTS[environment];
  const platform = (overrides.platformBaseUrl ?? preset.platformBaseUrl).replace(/\/+$/, '');
  const maskinporten = (overrides.maskinportenUrl ?? preset.maskinportenUrl).replace(/\/+$/, '');
  return {
    environment,
    platformBaseUrl: platform,
    eventsApi: joinUrl(platform, 'events/api/v1'),
    brokerApi: joinUrl(platform, 'broker/api/v1'),
    tokenExchangeUrl: joinUrl(platform, 'authentication/api/v1/exchange/maskinporten'),
    maskinportenAudience: `${maskinporten}/`,
    maskinportenTokenUrl: joinUrl(maskinporten, 'token'),
  };
}

/**
 * The Altinn settings every app that talks to Altinn shares. Apps spread this into their schema, so each
 * variable is declared and documented once. Exactly one way to authenticate must be configured: a Maskinporten
 * client (client id + key id + private key), a pre-issued Maskinporten token, or a pre-issued Altinn token.
 */
export const altinnConfigSchema = {
  ALTINN_ENVIRONMENT: oneOf(['tt02', 'production'] as const, {
    doc: 'Altinn environment: `tt02` (test) or `production`.',
    default: 'tt02',
  }),
  ALTINN_PLATFORM_URL: optional(
    url({
      doc: 'Override the platform base URL of the environment (a proxy, or a local stand-in in tests).',
      protocols: ['https', 'http'],
    }),
  ),
  MASKINPORTEN_URL: optional(
    url({
      doc: 'Override the Maskinporten base URL (`https://test.maskinporten.no` for tt02, `https://maskinporten.no` for production).',
      protocols: ['https', 'http'],
    }),
  ),
  MASKINPORTEN_CLIENT_ID: optional(str({ doc: 'Maskinporten client id (the `iss` of the JWT grant).' })),
  MASKINPORTEN_KEY_ID: optional(str({ doc: 'The `kid` of the key registered on the Maskinporten client.' })),
  MASKINPORTEN_PRIVATE_KEY: optional(
    str({
      doc: 'RSA private key (PEM) that signs the JWT grant. Or use MASKINPORTEN_PRIVATE_KEY_FILE.',
      secret: true,
    }),
  ),
  MASKINPORTEN_PRIVATE_KEY_FILE: optional(
    str({ doc: 'Path of a PEM file holding the RSA private key (e.g. a mounted Kubernetes secret).' }),
  ),
  MASKINPORTEN_SCOPES: optional(
    list({
      doc: 'Scopes to ask Maskinporten for, comma-separated. Default: what the app needs (see its docs).',
      minItems: 1,
    }),
  ),
  MASKINPORTEN_TOKEN: optional(
    str({
      doc: 'A pre-issued Maskinporten token, exchanged for an Altinn token (simple setups; not refreshed).',
      secret: true,
    }),
  ),
  ALTINN_TOKEN: optional(
    str({
      doc: 'A pre-issued Altinn token used as is (simple setups and tests; not refreshed).',
      secret: true,
    }),
  ),
  ALTINN_TOKEN_EXCHANGE_TEST: bool({
    doc: 'Add `?test=true` to the token exchange (Testdepartementet/test-org tokens only).',
    default: false,
  }),
  ALTINN_HTTP_TIMEOUT_MS: int({
    doc: 'Deadline for each call to Maskinporten and Altinn (and the idle limit of a download).',
    default: 30000,
    min: 100,
  }),
  ALTINN_TOKEN_REFRESH_SKEW_SECONDS: int({
    doc: 'Fetch a new token this long before the cached one expires.',
    default: 60,
    min: 0,
    max: 3600,
  }),
};

export type AltinnConfig = ConfigOf<typeof altinnConfigSchema>;

/** Cross-variable checks, in ConfigError's shape: exactly one auth mode, and a usable key. */
export function altinnConfigProblems(cfg: AltinnConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const grant =
    cfg.MASKINPORTEN_CLIENT_ID !== undefined ||
    cfg.MASKINPORTEN_KEY_ID !== undefined ||
    cfg.MASKINPORTEN_PRIVATE_KEY !== undefined ||
    cfg.MASKINPORTEN_PRIVATE_KEY_FILE !== undefined;
  const modes = [grant, cfg.MASKINPORTEN_TOKEN !== undefined, cfg.ALTINN_TOKEN !== undefined].filter(
    Boolean,
  ).length;
  if (modes === 0) {
    problems.push({
      variable: 'MASKINPORTEN_CLIENT_ID',
      reason:
        'no way to authenticate: set MASKINPORTEN_CLIENT_ID + MASKINPORTEN_KEY_ID + MASKINPORTEN_PRIVATE_KEY(_FILE), or MASKINPORTEN_TOKEN, or ALTINN_TOKEN',
    });
  } else if (modes > 1) {
    problems.push({
      variable: 'MASKINPORTEN_TOKEN',
      reason: 'set only one of: a Maskinporten client, MASKINPORTEN_TOKEN, ALTINN_TOKEN',
    });
  }
  if (grant) {
    if (cfg.MASKINPORTEN_CLIENT_ID === undefined)
      problems.push({ variable: 'MASKINPORTEN_CLIENT_ID', reason: 'is required for the JWT grant' });
    if (cfg.MASKINPORTEN_KEY_ID === undefined)
      problems.push({ variable: 'MASKINPORTEN_KEY_ID', reason: 'is required for the JWT grant' });
    if ((cfg.MASKINPORTEN_PRIVATE_KEY === undefined) === (cfg.MASKINPORTEN_PRIVATE_KEY_FILE === undefined)) {
      problems.push({
        variable: 'MASKINPORTEN_PRIVATE_KEY',
        reason: 'set exactly one of MASKINPORTEN_PRIVATE_KEY and MASKINPORTEN_PRIVATE_KEY_FILE',
      });
    } else {
      try {
        loadPrivateKey(privateKeyPem(cfg) ?? '');
      } catch (error) {
        const variable =
          cfg.MASKINPORTEN_PRIVATE_KEY_FILE !== undefined
            ? 'MASKINPORTEN_PRIVATE_KEY_FILE'
            : 'MASKINPORTEN_PRIVATE_KEY';
        // Never echo the key: only say why it could not be used.
        const reason =
          typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
            ? 'the file does not exist'
            : 'is not a readable RSA private key (PEM)';
        problems.push({ variable, reason });
      }
    }
  }
  return problems;
}

function privateKeyPem(cfg: AltinnConfig): string | undefined {
  if (cfg.MASKINPORTEN_PRIVATE_KEY !== undefined) return cfg.MASKINPORTEN_PRIVATE_KEY.replace(/\\n/g, '\n');
  if (cfg.MASKINPORTEN_PRIVATE_KEY_FILE !== undefined)
    return readFileSync(cfg.MASKINPORTEN_PRIVATE_KEY_FILE, 'utf8');
  return undefined;
}

export interface AltinnClient {
  endpoints: AltinnEndpoints;
  /** The Altinn token (exchanged and cached). */
  tokens: TokenProvider;
  /** How we authenticate, for start-up logs (never the secret). */
  authMode: 'maskinporten-grant' | 'maskinporten-token' | 'altinn-token';
  events: EventsClient;
  broker: BrokerClient;
}

export interface AltinnClientOptions {
  /** Scopes to ask for when MASKINPORTEN_SCOPES is unset. */
  defaultScopes?: readonly string[];
  fetch?: FetchLike;
  now?: () => number;
}

/** The clients for a validated config (see {@link altinnConfigProblems}). */
export function createAltinnClient(cfg: AltinnConfig, options: AltinnClientOptions = {}): AltinnClient {
  const endpoints = altinnEndpoints(cfg.ALTINN_ENVIRONMENT, {
    platformBaseUrl: cfg.ALTINN_PLATFORM_URL,
    maskinportenUrl: cfg.MASKINPORTEN_URL,
  });
  const common = {
    timeoutMs: cfg.ALTINN_HTTP_TIMEOUT_MS,
    refreshSkewMs: cfg.ALTINN_TOKEN_REFRESH_SKEW_SECONDS * 1000,
    fetch: options.fetch,
    now: options.now,
  };
  let tokens: TokenProvider;
  let authMode: AltinnClient['authMode'];
  if (cfg.ALTINN_TOKEN !== undefined) {
    tokens = new StaticTokenProvider(cfg.ALTINN_TOKEN);
    authMode = 'altinn-token';
  } else {
    let source: TokenProvider;
    if (cfg.MASKINPORTEN_TOKEN !== undefined) {
      source = new StaticTokenProvider(cfg.MASKINPORTEN_TOKEN);
      authMode = 'maskinporten-token';
    } else {
      const pem = privateKeyPem(cfg);
      if (
        pem === undefined ||
        cfg.MASKINPORTEN_CLIENT_ID === undefined ||
        cfg.MASKINPORTEN_KEY_ID === undefined
      ) {
        throw new Error('Altinn configuration: no way to authenticate (check altinnConfigProblems first)');
      }
      source = new MaskinportenTokenProvider({
        ...common,
        tokenUrl: endpoints.maskinportenTokenUrl,
        audience: endpoints.maskinportenAudience,
        clientId: cfg.MASKINPORTEN_CLIENT_ID,
        keyId: cfg.MASKINPORTEN_KEY_ID,
        privateKey: loadPrivateKey(pem),
        scopes: cfg.MASKINPORTEN_SCOPES ?? options.defaultScopes ?? [ALTINN_SCOPES.eventsSubscribe],
      });
      authMode = 'maskinporten-grant';
    }
    tokens = new AltinnTokenExchange({
      ...common,
      exchangeUrl: endpoints.tokenExchangeUrl,
      source,
      test: cfg.ALTINN_TOKEN_EXCHANGE_TEST,
    });
  }
  const http = { tokens, timeoutMs: cfg.ALTINN_HTTP_TIMEOUT_MS, fetch: options.fetch };
  return {
    endpoints,
    tokens,
    authMode,
    events: new EventsClient(endpoints.eventsApi, http),
    broker: new BrokerClient(endpoints.brokerApi, http),
  };
}
