import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { type AppLogger, APP_LOGGER } from '@broker-events/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthService } from './auth/auth.service';
import { CsrfException, LoginRequiredException, NoRoleException } from './auth/signed-in.guard';
import { html } from './views/html';
import { TEXTS } from './views/i18n';
import { plainPage } from './views/layout';
import { sendHtml } from './views/reply';

/**
 * Every error as a page (or, for what is not a page, a short text): no login → the login (GET pages) or 401;
 * no role → 403; a failed CSRF check → 403 with what to do; anything unexpected → 500, logged.
 */
@Catch()
export class ConsoleErrorsFilter implements ExceptionFilter {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    const lang = this.auth.langOf(req);
    const path = req.url;
    const wantsPage = req.method === 'GET' && !path.startsWith('/live/') && !path.startsWith('/static/');
    if (error instanceof LoginRequiredException) {
      if (wantsPage) {
        void reply.redirect(`/auth/login?returnTo=${encodeURIComponent(path)}`, 302);
      } else {
        void reply.status(401).header('content-type', 'text/plain; charset=utf-8').send('Sign in first.\n');
      }
      return;
    }
    const t = TEXTS[lang];
    if (error instanceof NoRoleException) {
      sendHtml(
        reply,
        403,
        plainPage(
          lang,
          path,
          t.forbiddenTitle,
          html`<p>${error.who}: ${t.noRoleText}</p>
            <form method="post" action="/auth/logout"><button type="submit">${t.signOut}</button></form>`,
        ),
      );
      return;
    }
    if (error instanceof CsrfException) {
      this.logger.warn(
        { path, method: req.method, reason: error.message },
        'change refused: CSRF check failed',
      );
      sendHtml(reply, 403, plainPage(lang, path, t.forbiddenTitle, html`<p>${t.csrfText}</p>`));
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const title =
        status === 404
          ? t.notFoundTitle
          : status === 403
            ? t.forbiddenTitle
            : status < 500
              ? t.badRequestTitle
              : t.errorTitle;
      sendHtml(
        reply,
        status,
        plainPage(
          lang,
          path,
          title,
          html`<p>${error.message}</p>
            <p><a href="/transfers">${t.navTransfers}</a></p>`,
        ),
      );
      return;
    }
    this.logger.error(
      { path, method: req.method, error: error instanceof Error ? error.stack : String(error) },
      'console request failed',
    );
    sendHtml(reply, 500, plainPage(lang, path, t.errorTitle, html`<p>${t.errorText}</p>`));
  }
}
