import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { type AppLogger, APP_LOGGER } from '@broker-events/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { html } from '../views/html';
import { TEXTS, isLang } from '../views/i18n';
import { plainPage } from '../views/layout';
import { sendHtml } from '../views/reply';
import { AuthService } from './auth.service';
import { safeReturnTo, sameToken } from './session';
import { randomBytes } from 'node:crypto';

/**
 * GET /auth/login → the provider; GET /auth/callback ← the provider (code → session cookie); POST /auth/logout;
 * GET /lang/:lang (the language switch: a preference cookie, then back).
 */
@Controller()
export class AuthController {
  private readonly logins: Counter<'outcome'>;

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    registry: Registry,
  ) {
    this.logins = new Counter({
      name: 'console_logins_total',
      help: 'OpenID logins by outcome: ok, no_role (signed in at the provider but no console role), failed.',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  @Get('auth/login')
  async login(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('returnTo') returnTo?: string,
  ): Promise<void> {
    const lang = this.auth.langOf(req);
    const t = TEXTS[lang];
    if (!this.auth.oidc) {
      // Behind the proxy only: there is no login of our own; the proxy's headers decide.
      sendHtml(reply, 401, plainPage(lang, req.url, t.signIn, html`<p>${t.forbiddenText}</p>`));
      return;
    }
    try {
      const start = await this.auth.oidc.start();
      this.auth.setLoginState(reply, {
        state: start.state,
        nonce: start.nonce,
        verifier: start.verifier,
        returnTo: safeReturnTo(returnTo),
      });
      void reply.header('cache-control', 'no-store').redirect(start.url, 302);
    } catch (error) {
      sendHtml(
        reply,
        503,
        plainPage(
          lang,
          req.url,
          t.signIn,
          html`<p role="alert">
              ${t.loginUnavailable(error instanceof Error ? error.message : String(error))}
            </p>
            <p><a href="/auth/login">${t.tryAgain}</a></p>`,
        ),
      );
    }
  }

  @Get('auth/callback')
  async callback(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const lang = this.auth.langOf(req);
    const t = TEXTS[lang];
    const state = this.auth.takeLoginState(req, reply);
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const failed = (why: string): void => {
      this.logins.inc({ outcome: 'failed' });
      this.logger.warn({ reason: why }, 'login failed');
      sendHtml(
        reply,
        400,
        plainPage(
          lang,
          '/transfers',
          t.signIn,
          html`<p role="alert">${t.loginFailed}</p>
            <p><a href="/auth/login">${t.tryAgain}</a></p>`,
        ),
      );
    };
    if (!this.auth.oidc || !state) return failed('no or expired login state cookie');
    let identity;
    try {
      identity = await this.auth.oidc.finish(query, state);
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
    const role = this.auth.roleOfClaims(identity.claims);
    if (!role) {
      this.logins.inc({ outcome: 'no_role' });
      this.logger.warn({ sub: identity.sub }, 'login without a console role');
      sendHtml(
        reply,
        403,
        plainPage(lang, '/transfers', t.forbiddenTitle, html`<p>${identity.name}: ${t.noRoleText}</p>`),
      );
      return;
    }
    this.auth.setSession(reply, {
      sub: identity.sub,
      name: identity.name,
      role,
      csrf: randomBytes(24).toString('base64url'),
      ...(identity.idToken ? { idToken: identity.idToken } : {}),
    });
    this.logins.inc({ outcome: 'ok' });
    this.logger.info({ sub: identity.sub, role }, 'signed in');
    void reply.redirect(state.returnTo, 302);
  }

  /** Signs out here, then at the provider when it offers that. Needs the session's CSRF token like every change. */
  @Post('auth/logout')
  async logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const identity = this.auth.identify(req);
    const token = (req.body as Record<string, unknown> | undefined)?.['_csrf'];
    const origin = req.headers.origin;
    if (
      identity.kind === 'user' &&
      (origin !== this.auth.publicOrigin ||
        !sameToken(typeof token === 'string' ? token : undefined, identity.csrf))
    ) {
      void reply.redirect('/transfers', 303);
      return;
    }
    this.auth.clearSession(reply);
    const idToken = identity.kind === 'user' ? identity.session?.idToken : undefined;
    const end = await this.auth.oidc?.logoutUrl(
      idToken,
      `${this.auth.config.CONSOLE_PUBLIC_URL}/auth/signed-out`,
    );
    void reply.redirect(end ?? '/auth/signed-out', 303);
  }

  @Get('auth/signed-out')
  signedOut(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const lang = this.auth.langOf(req);
    const t = TEXTS[lang];
    sendHtml(
      reply,
      200,
      plainPage(
        lang,
        req.url,
        t.signedOutTitle,
        html`<p>${t.signedOutText}</p>
          <p><a href="/auth/login">${t.signIn}</a></p>`,
      ),
    );
  }

  @Get('lang/:lang')
  setLang(
    @Param('lang') lang: string,
    @Query('back') back: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    if (isLang(lang)) this.auth.setLang(reply, lang);
    void reply.redirect(safeReturnTo(back), 303);
  }
}
