import * as oidc from 'openid-client';
import type { AppLogger } from '@broker-events/observability';

/** What a completed login tells us of the user. */
export interface OidcIdentity {
  sub: string;
  name: string;
  claims: Record<string, unknown>;
  idToken?: string;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string;
  rolesClaim: string;
  timeoutMs: number;
}

/**
 * The console's OpenID Connect relying party (openid-client 6, a certified implementation): authorization code
 * flow with PKCE, state and nonce; the client authenticates with its secret. Discovery happens at the first login
 * (and again after a failure), so the console starts even while the provider is down.
 */
export class OidcClient {
  private config: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: AppLogger,
  ) {}

  private configuration(): Promise<oidc.Configuration> {
    if (!this.config) {
      const insecure = this.settings.issuer.startsWith('http:');
      this.config = oidc
        .discovery(
          new URL(this.settings.issuer),
          this.settings.clientId,
          this.settings.clientSecret,
          undefined,
          {
            timeout: Math.ceil(this.settings.timeoutMs / 1000),
            ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
          },
        )
        .catch((error: unknown) => {
          this.config = undefined;
          this.logger.error(
            { issuer: this.settings.issuer, error: String(error) },
            'OpenID discovery failed',
          );
          throw error;
        });
    }
    return this.config;
  }

  /** The provider's authorization URL and the checks to keep (in a sealed cookie) until the callback. */
  async start(): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, verifier };
  }

  /** Exchanges the code of the callback URL (the redirect URI plus the provider's query) for the user's identity. */
  async finish(
    callbackQuery: string,
    checks: { state: string; nonce: string; verifier: string },
  ): Promise<OidcIdentity> {
    const config = await this.configuration();
    const current = new URL(this.settings.redirectUri);
    current.search = callbackQuery;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider returned no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    if (claims[this.settings.rolesClaim] === undefined) {
      // Some providers put roles in userinfo only.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...claims, [this.settings.rolesClaim]: info[this.settings.rolesClaim] };
    }
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    return {
      sub: idClaims.sub,
      name: str(claims['name']) ?? str(claims['preferred_username']) ?? str(claims['email']) ?? idClaims.sub,
      claims,
      ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
    };
  }

  /** Where to send the browser to end the provider's session too (undefined when it has no end_session endpoint). */
  async logoutUrl(idToken: string | undefined, postLogoutRedirectUri: string): Promise<string | undefined> {
    try {
      const config = await this.configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(config, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).href;
    } catch {
      return undefined;
    }
  }
}
