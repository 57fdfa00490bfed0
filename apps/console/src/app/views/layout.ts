import type { ConsoleUser } from '../auth/user';
import { type HtmlValue, type SafeHtml, html } from './html';
import { type Lang, TEXTS, type Texts } from './i18n';

/** What every page needs to render: the language, who is signed in, the CSRF token and where we are. */
export interface PageContext {
  lang: Lang;
  t: Texts;
  user: ConsoleUser;
  csrf: string;
  /** The request path with its query (for the language switch's way back). */
  path: string;
}

export type Section = 'transfers' | 'attention' | 'dead-letters' | 'audit' | 'none';

export function csrfField(ctx: Pick<PageContext, 'csrf'>): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}" />`;
}

function head(lang: Lang, title: string): SafeHtml {
  const t = TEXTS[lang];
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} – ${t.appName}</title>
        <link rel="stylesheet" href="/static/console.css" />
        <script src="/static/console.js" defer></script>
      </head>
    </html>`;
}

function langSwitch(lang: Lang, path: string): SafeHtml {
  const other: Lang = lang === 'nb' ? 'en' : 'nb';
  return html`<a
    class="lang"
    href="/lang/${other}?back=${encodeURIComponent(path)}"
    lang="${other}"
    hreflang="${other}"
    >${TEXTS[other].langName}</a
  >`;
}

/** A full page: header with navigation, account and language switch; then the page's own content. */
export function page(ctx: PageContext, section: Section, title: string, body: HtmlValue): SafeHtml {
  const { t } = ctx;
  const link = (s: Section, href: string, label: string): SafeHtml =>
    html`<li><a href="${href}" ${s === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`${head(ctx.lang, title)}
<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header class="top">
  <a class="brand" href="/transfers">${t.appName}</a>
  <nav aria-label="${t.mainNav}"><ul>
    ${link('transfers', '/transfers', t.navTransfers)}
    ${link('attention', '/attention', t.navAttention)}
    ${link('dead-letters', '/dead-letters', t.navDeadLetters)}
    ${link('audit', '/audit', t.navAudit)}
  </ul></nav>
  <div class="account">
    <span>${t.signedInAs(ctx.user.name, ctx.user.role === 'operator' ? t.roleOperator : t.roleViewer)}</span>
    <form method="post" action="/auth/logout">${csrfField(ctx)}<button type="submit" class="link">${t.signOut}</button></form>
    ${langSwitch(ctx.lang, ctx.path)}
  </div>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A page for someone not (or not fully) signed in: an error, or a failed login. */
export function plainPage(lang: Lang, path: string, title: string, body: HtmlValue): SafeHtml {
  const t = TEXTS[lang];
  return html`${head(lang, title)}
<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header class="top"><span class="brand">${t.appName}</span><div class="account">${langSwitch(lang, path)}</div></header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}
