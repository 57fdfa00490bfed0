import type { SignedInRequest } from '../auth/signed-in.guard';
import type { AuthService } from '../auth/auth.service';
import { TEXTS } from './i18n';
import type { PageContext } from './layout';

/** The page context of a request that passed SignedInGuard. */
export function pageContext(auth: AuthService, req: SignedInRequest): PageContext {
  const user = req.consoleUser;
  const csrf = req.consoleCsrf;
  if (!user || csrf === undefined) throw new Error('pageContext needs SignedInGuard');
  const lang = auth.langOf(req);
  return { lang, t: TEXTS[lang], user, csrf, path: req.url };
}
