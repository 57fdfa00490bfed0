import {
  BROKER_TYPE_PREFIX,
  EVENT_CATALOG,
  type TransferPage,
  type TransferSummary,
} from '@broker-events/contracts';
import { describeState, formatTime, shortResource } from './format';
import { type SafeHtml, html } from './html';
import { type PageContext, page } from './layout';

/** The search form's values as typed (from/to as datetime-local, Oslo time). */
export interface TransferSearch {
  fileTransferId: string;
  org: string;
  resource: string;
  type: string;
  from: string;
  to: string;
  after: string;
}

export function searchQuery(s: TransferSearch, after?: string): string {
  const p = new URLSearchParams();
  for (const key of ['fileTransferId', 'org', 'resource', 'type', 'from', 'to'] as const)
    if (s[key] !== '') p.set(key, s[key]);
  if (after) p.set('after', after);
  const q = p.toString();
  return q ? `?${q}` : '';
}

export function transferRows(ctx: PageContext, items: readonly TransferSummary[]): SafeHtml {
  const { t, lang } = ctx;
  return html`${items.map(
    (s) =>
      html`<tr>
        <td><a href="/transfers/${encodeURIComponent(s.fileTransferId)}">${s.fileTransferId}</a></td>
        <td>${shortResource(s.resource)}</td>
        <td>${s.organisations.join(', ')}</td>
        <td>
          <time datetime="${s.lastTime ?? ''}">${formatTime(s.lastTime, lang)}</time><br /><span class="muted"
            >${s.lastType}</span
          >
        </td>
        <td>${describeState(s.state, t)}</td>
        <td class="num">${s.eventCount}</td>
      </tr>`,
  )}`;
}

export function transfersPage(
  ctx: PageContext,
  search: TransferSearch,
  result: { page?: TransferPage; error?: string; problems?: string[] },
): SafeHtml {
  const { t } = ctx;
  const field = (name: keyof TransferSearch, label: string, attrs: SafeHtml, hint?: string): SafeHtml =>
    html`<div class="field">
      <label for="f-${name}">${label}</label
      >${hint ? html`<span class="hint" id="h-${name}">${hint}</span>` : ''}<input
        id="f-${name}"
        name="${name}"
        value="${search[name]}"
        ${attrs}${hint ? html` aria-describedby="h-${name}"` : ''}
      />
    </div>`;
  const types = EVENT_CATALOG.filter((e) => e.type.startsWith(BROKER_TYPE_PREFIX));
  const items = result.page?.items ?? [];
  const body = html` <form class="search" method="get" action="/transfers" role="search">
      <fieldset>
        <legend>${t.searchLegend}</legend>
        <div class="fields">
          ${field('fileTransferId', t.fileTransferId, html`type="text" autocomplete="off" spellcheck="false"`)}
          ${field('org', t.org, html`type="text" inputmode="numeric" pattern="[0-9]{9}" autocomplete="off"`)}
          ${field('resource', t.resource, html`type="text" autocomplete="off" spellcheck="false"`)}
          <div class="field">
            <label for="f-type">${t.eventType}</label
            ><select id="f-type" name="type">
              <option value="">${t.anyType}</option>
              ${types.map((ty) => html`<option value="${ty.type}" ${ty.type === search.type ? html` selected` : ''}>${ty.title[ctx.lang]} (${ty.type.slice(BROKER_TYPE_PREFIX.length)})</option>`)}
            </select>
          </div>
          ${field('from', t.from, html`type="datetime-local" step="1"`, t.timeHint)}
          ${field('to', t.to, html`type="datetime-local" step="1"`, t.timeHint)}
        </div>
        <div class="actions">
          <button type="submit">${t.search}</button> <a href="/transfers">${t.clear}</a>
        </div>
      </fieldset>
    </form>
    ${
      result.problems && result.problems.length > 0
        ? html`<div class="error" role="alert">
            <ul>
              ${result.problems.map((p) => html`<li>${p}</li>`)}
            </ul>
          </div>`
        : ''
    }
    ${result.error ? html`<p class="error" role="alert">${t.archiveUnavailable(result.error)}</p>` : ''}
    <section class="live" aria-labelledby="live-h" data-live="transfers">
      <h2 id="live-h">${t.justReceived}</h2>
      <p class="muted">${t.justReceivedHelp}</p>
      <ul class="live-list" aria-live="polite" data-empty="${t.liveWaiting}"></ul>
    </section>
    <section aria-labelledby="results-h">
      <h2 id="results-h" class="visually-hidden">${t.transfersTitle}</h2>
      ${
        items.length === 0 && !result.error
          ? html`<p>${t.noTransfers}</p>`
          : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="results-h">
              <table class="transfers">
                <thead>
                  <tr>
                    <th scope="col">${t.colTransfer}</th>
                    <th scope="col">${t.colResource}</th>
                    <th scope="col">${t.colOrgs}</th>
                    <th scope="col">${t.colLast}</th>
                    <th scope="col">${t.colState}</th>
                    <th scope="col" class="num">${t.colEvents}</th>
                  </tr>
                </thead>
                <tbody>
                  ${transferRows(ctx, items)}
                </tbody>
              </table>
            </div>`
      }
      <nav class="paging" aria-label="${t.transfersTitle}">
        ${search.after ? html`<a href="/transfers${searchQuery(search)}">${t.firstPage}</a>` : ''}
        ${result.page?.next ? html`<a href="/transfers${searchQuery(search, result.page.next)}" rel="next">${t.nextPage}</a>` : ''}
      </nav>
    </section>`;
  return page(ctx, 'transfers', t.transfersTitle, body);
}
