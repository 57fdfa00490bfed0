import type { DeadLetterRow } from '../dead-letters/dead-letters.service';
import { formatTime } from './format';
import { type SafeHtml, html } from './html';
import { type PageContext, csrfField, page } from './layout';

export interface ConsumerDeadLetters {
  consumer: string;
  /** The newest dead letters, newest first. */
  rows?: DeadLetterRow[];
  /** How many the topic holds (more than `rows` when only the newest are listed). */
  total?: number;
  error?: string;
}

function eventCell(r: DeadLetterRow): SafeHtml {
  return html`<span class="type">${r.eventType ?? '?'}</span><br />${
      r.fileTransferId
        ? html`<a href="/transfers/${encodeURIComponent(r.fileTransferId)}">${r.fileTransferId}</a>`
        : html`<span class="muted">${r.eventId ?? r.key ?? ''}</span>`
    }`;
}

function consumerSection(ctx: PageContext, c: ConsumerDeadLetters, showRedriven: boolean): SafeHtml {
  const { t, lang } = ctx;
  const id = `dlq-${c.consumer}`;
  const operator = ctx.user.role === 'operator';
  if (c.error)
    return html`<section aria-labelledby="${id}">
      <h2 id="${id}">${c.consumer}</h2>
      <p class="bad">${t.kafkaUnavailable(c.error)}</p>
    </section>`;
  const rows = (c.rows ?? []).filter((r) => showRedriven || !r.redriven);
  const open = (c.rows ?? []).filter((r) => !r.redriven).length;
  if (rows.length === 0)
    return html`<section aria-labelledby="${id}">
      <h2 id="${id}">${c.consumer}</h2>
      <p>${t.noDeadLetters}</p>
    </section>`;
  const table = html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="${id}">
    <table class="dead-letters">
      <thead>
        <tr>
          ${operator ? html`<th scope="col"><span class="visually-hidden">${t.colSelect}</span><input type="checkbox" data-select-all="${id}" aria-label="${t.selectAll}" hidden /></th>` : ''}
          <th scope="col">${t.colEvent}</th>
          <th scope="col">${t.colFailure}</th>
          <th scope="col" class="num">${t.colAttempts}</th>
          <th scope="col">${t.colFailedAt}</th>
          <th scope="col">${t.colStatus}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) => {
          const ref = `${r.partition}:${r.offset}`;
          return html`<tr>
            ${operator ? html`<td>${r.redriven ? '' : html`<input type="checkbox" name="sel" value="${ref}" id="${id}-${r.partition}-${r.offset}" aria-label="${t.colSelect} ${r.eventType ?? ''} ${r.fileTransferId ?? r.eventId ?? ref}" data-group="${id}" />`}</td>` : ''}
            <td>
              ${eventCell(r)}
              <details>
                <summary>${t.showEvent}</summary>
                <pre tabindex="0">${r.body}</pre>
              </details>
            </td>
            <td>${r.failure ? html`<strong>${r.failure}</strong> ` : ''}${r.error ?? ''}</td>
            <td class="num">${r.attempts ?? ''}</td>
            <td>${formatTime(r.lastFailedAt ?? r.timestamp, lang)}</td>
            <td>${r.redriven ? t.redrivenBy(r.redriven.actor, formatTime(r.redriven.at, lang)) : t.open}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
  const listed = c.rows?.length ?? 0;
  return html`<section aria-labelledby="${id}">
    <h2 id="${id}">${c.consumer}</h2>
    ${c.total !== undefined && c.total > listed ? html`<p class="note">${t.newestListed(listed, c.total)}</p>` : ''}
    ${
      operator
        ? html`<form method="post" action="/dead-letters/${encodeURIComponent(c.consumer)}/confirm">
            ${csrfField(ctx)} ${table}
            <div class="actions">
              <button type="submit" name="scope" value="selected">${t.redriveSelected}</button
              >${open > 0 ? html` <button type="submit" name="scope" value="all">${t.redriveAll(open)}</button>` : ''}
            </div>
          </form>`
        : table
    }
  </section>`;
}

export function deadLettersPage(
  ctx: PageContext,
  consumers: ConsumerDeadLetters[],
  options: { showRedriven: boolean; consumer?: string; notice?: SafeHtml },
): SafeHtml {
  const { t } = ctx;
  const q = options.consumer ? `consumer=${encodeURIComponent(options.consumer)}&` : '';
  const body = html`${options.notice ?? ''}
    ${ctx.user.role === 'operator' ? '' : html`<p class="note">${t.viewerCannotRedrive}</p>`}
    <p>
      <a href="/dead-letters?${q}redriven=${options.showRedriven ? '0' : '1'}"
        >${options.showRedriven ? t.open : t.showRedriven}</a
      >
    </p>
    ${consumers.map((c) => consumerSection(ctx, c, options.showRedriven))}`;
  return page(ctx, 'dead-letters', t.deadLettersTitle, body);
}

export function confirmRedrivePage(ctx: PageContext, consumer: string, rows: DeadLetterRow[]): SafeHtml {
  const { t, lang } = ctx;
  const body = html`<p>${t.confirmText(rows.length, consumer)}</p>
    <ul class="items">
      ${rows.map(
        (r) =>
          html`<li>
            ${eventCell(r)} — ${r.error ?? ''}
            <span class="muted"
              >(${formatTime(r.lastFailedAt ?? r.timestamp, lang)}, ${r.partition}:${r.offset})</span
            >
          </li>`,
      )}
    </ul>
    <form method="post" action="/dead-letters/${encodeURIComponent(consumer)}/redrive">
      ${csrfField(ctx)}
      ${rows.map((r) => html`<input type="hidden" name="sel" value="${r.partition}:${r.offset}" />`)}
      <div class="actions">
        <button type="submit" class="danger">${t.confirmButton}</button>
        <a href="/dead-letters?consumer=${encodeURIComponent(consumer)}">${t.cancel}</a>
      </div>
    </form>`;
  return page(ctx, 'dead-letters', t.confirmTitle, body);
}
