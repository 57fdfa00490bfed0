import type { AuditEntry } from '../audit/audit.store';
import { formatTime } from './format';
import { type SafeHtml, html } from './html';
import { type PageContext, page } from './layout';

export function auditPage(ctx: PageContext, entries: AuditEntry[], notice?: SafeHtml): SafeHtml {
  const { t, lang } = ctx;
  const body = html`${notice ?? ''}${
    entries.length === 0
      ? html`<p>${t.noAudit}</p>`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="audit-h">
          <table class="audit">
            <caption id="audit-h" class="visually-hidden">
              ${t.auditTitle}
            </caption>
            <thead>
              <tr>
                <th scope="col">${t.colWhen}</th>
                <th scope="col">${t.colWho}</th>
                <th scope="col">${t.colWhat}</th>
                <th scope="col">${t.colOutcome}</th>
              </tr>
            </thead>
            <tbody>
              ${entries.map(
                (e) =>
                  html`<tr>
                    <td>${formatTime(e.at, lang)}</td>
                    <td>${e.actorName} <span class="muted">(${e.actorId})</span></td>
                    <td>
                      ${t.auditRedrive(e.records.length, e.consumer)}
                      <details>
                        <summary>${e.records.length}</summary>
                        <ul>
                          ${e.records.map((r) => html`<li>${e.topic} ${r}</li>`)}
                        </ul>
                      </details>
                    </td>
                    <td>${e.outcome === 'ok' ? t.auditOk : html`${t.auditFailed}: ${e.error ?? ''}`}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`
  }`;
  return page(ctx, 'audit', t.auditTitle, body);
}
