import { Inject, Injectable } from '@nestjs/common';
import { type AppLogger, APP_LOGGER } from '@broker-events/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/console.config';
import { chooseLang, type Lang } from '../views/i18n';
import { OidcClient } from './oidc.client';
import { CookieSealer, type LoginState, type Session } from './session';
import { type ConsoleUser, roleFor, rolesFromClaim } from './user';

export const SESSION_COOKIE = 'console_session';
export const LOGIN_COOKIE = 'console_login';
export const LANG_COOKIE = 'console_lang';

/** Who made a request: a user with a role, someone signed in without a role, or nobody. */
export type Identity =
  | { kind: 'user'; user: ConsoleUser; csrf: string; session?: Session }
  | { kind: 'no-role'; name: string }
  | { kind: 'anonymous' };

/**
 * Sign-in state: the sealed session cookie (after an OpenID login), or, when CONSOLE_TRUSTED_HEADER_USER is set, the
 * authenticating proxy's headers. Also the cookies' attributes, and the request's language.
 */
@Injectable()
export class AuthService {
  readonly sealer: CookieSealer;
  readonly oidc: OidcClient | undefined;
  readonly publicOrigin: string;

  constructor(
    @Inject(CONSOLE_CONFIG) readonly config: ConsoleConfig,
    @Inject(APP_LOGGER) logger: AppLogger,
  ) {
    this.sealer = new CookieSealer(config.SESSION_SECRET);
    this.publicOrigin = new URL(config.CONSOLE_PUBLIC_URL).origin;
    this.oidc =
      config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET
        ? new OidcClient(
            {
              issuer: config.OIDC_ISSUER,
              clientId: config.OIDC_CLIENT_ID,
              clientSecret: config.OIDC_CLIENT_SECRET,
              redirectUri: `${config.CONSOLE_PUBLIC_URL}/auth/callback`,
              scopes: config.OIDC_SCOPES,
              rolesClaim: config.OIDC_ROLES_CLAIM,
              timeoutMs: config.CONSOLE_HTTP_TIMEOUT_MS,
            },
            logger,
          )
        : undefined;
  }

  private roleLists(): { viewer: readonly string[]; operator: readonly string[] } {
    return { viewer: this.config.CONSOLE_VIEWER_ROLES, operator: this.config.CONSOLE_OPERATOR_ROLES };
  }

  identify(req: FastifyRequest): Identity {
    const headerName = this.config.CONSOLE_TRUSTED_HEADER_USER;
    if (headerName) {
      const raw = req.headers[headerName.toLowerCase()];
      const userId = (Array.isArray(raw) ? raw[0] : raw)?.trim();
      if (userId) {
        const groupsHeader = this.config.CONSOLE_TRUSTED_HEADER_GROUPS;
        const groupsRaw = groupsHeader ? req.headers[groupsHeader.toLowerCase()] : undefined;
        const groups = rolesFromClaim(Array.isArray(groupsRaw) ? groupsRaw.join(',') : groupsRaw);
        const role = roleFor(groups, this.roleLists());
        if (!role) return { kind: 'no-role', name: userId };
        return {
          kind: 'user',
          user: { id: userId, name: userId, role },
          csrf: this.sealer.csrfFor(`header:${userId}`),
        };
      }
    }
    const session = this.sealer.open<Session>('session', req.cookies?.[SESSION_COOKIE]);
    if (!session) return { kind: 'anonymous' };
    return {
      kind: 'user',
      user: { id: session.sub, name: session.name, role: session.role },
      csrf: session.csrf,
      session,
    };
  }

  /** The role for a completed OpenID login's claims, or undefined. */
  roleOfClaims(claims: Record<string, unknown>): ConsoleUser['role'] | undefined {
    return roleFor(rolesFromClaim(claims[this.config.OIDC_ROLES_CLAIM]), this.roleLists());
  }

  langOf(req: FastifyRequest): Lang {
    const h = req.headers['accept-language'];
    return chooseLang(req.cookies?.[LANG_COOKIE], Array.isArray(h) ? h.join(',') : h);
  }

  private cookieOptions(maxAgeSeconds: number): {
    path: string;
    httpOnly: boolean;
    secure: boolean;
    sameSite: 'lax';
    maxAge: number;
  } {
    return {
      path: '/',
      httpOnly: true,
      secure: this.config.CONSOLE_COOKIE_SECURE,
      sameSite: 'lax',
      maxAge: maxAgeSeconds,
    };
  }

  setSession(reply: FastifyReply, session: Omit<Session, 'exp'>): void {
    const maxAge = this.config.CONSOLE_SESSION_HOURS * 3600;
    const exp = Math.floor(Date.now() / 1000) + maxAge;
    reply.setCookie(
      SESSION_COOKIE,
      this.sealer.seal('session', { ...session, exp }),
      this.cookieOptions(maxAge),
    );
  }

  clearSession(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  setLoginState(reply: FastifyReply, state: Omit<LoginState, 'exp'>): void {
    const maxAge = 600;
    reply.setCookie(
      LOGIN_COOKIE,
      this.sealer.seal('login', { ...state, exp: Math.floor(Date.now() / 1000) + maxAge }),
      this.cookieOptions(maxAge),
    );
  }

  takeLoginState(req: FastifyRequest, reply: FastifyReply): LoginState | undefined {
    reply.clearCookie(LOGIN_COOKIE, { path: '/' });
    return this.sealer.open<LoginState>('login', req.cookies?.[LOGIN_COOKIE]);
  }

  setLang(reply: FastifyReply, lang: Lang): void {
    reply.setCookie(LANG_COOKIE, lang, {
      path: '/',
      secure: this.config.CONSOLE_COOKIE_SECURE,
      sameSite: 'lax',
      maxAge: 365 * 86400,
    });
  }
}
