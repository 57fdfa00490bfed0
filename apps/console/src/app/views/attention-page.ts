import type { AttentionReport, DeliveryReport, TransferSummary } from '@broker-events/contracts';
import type { QuarantinedBody } from '../attention/quarantine';
import type { PollerStatus } from '../attention/poller.client';
import { describeDelivery, describeState, formatDuration, formatTime, shortResource } from './format';
import { type SafeHtml, html } from './html';
import { type PageContext, page } from './layout';

export interface AttentionView {
  archive: { report?: AttentionReport; error?: string };
  deadLetters: { consumer: string; open: number; error?: string }[];
  quarantine: { items?: QuarantinedBody[]; error?: string };
  poller: PollerStatus;
  unconfirmedAfterSeconds: number;
  quietAfterSeconds: number;
}

function transferList(ctx: PageContext, items: readonly TransferSummary[]): SafeHtml {
  if (items.length === 0) return html`<p>${ctx.t.nothing}</p>`;
  return html`<ul class="items">
    ${items.map(
      (s) =>
        html`<li>
          <a href="/transfers/${encodeURIComponent(s.fileTransferId)}">${s.fileTransferId}</a> —
          ${describeState(s.state, ctx.t)}
          <span class="muted">(${shortResource(s.resource)}, ${formatTime(s.lastTime, ctx.lang)})</span>
        </li>`,
    )}
  </ul>`;
}

function reportList(ctx: PageContext, items: readonly DeliveryReport[]): SafeHtml {
  if (items.length === 0) return html``;
  return html`<ul class="items">
    ${items.map(
      (r) =>
        html`<li>
          ${r.fileTransferId ? html`<a href="/transfers/${encodeURIComponent(r.fileTransferId)}">${r.fileTransferId}</a>` : r.eventId}
          — ${describeDelivery(r, ctx.t)} <span class="muted">${formatTime(r.at, ctx.lang)}</span>
        </li>`,
    )}
  </ul>`;
}

function pollerSection(ctx: PageContext, p: PollerStatus): SafeHtml {
  const { t, lang } = ctx;
  if (p.kind === 'off') return html`<p>${t.pollerOff}</p>`;
  if (p.kind === 'unreachable') return html`<p class="bad">${t.pollerDown(p.error)}</p>`;
  const stalled = p.resources.filter((r) => r.stalled);
  return html`${p.ready ? '' : html`<p class="bad">${t.pollerNotReady}</p>`}
    ${stalled.length === 0 && p.ready ? html`<p class="good">${t.pollerOk}</p>` : ''}
    <ul class="items">
      ${p.resources.map((r) =>
        r.stalled
          ? html`<li class="bad">
              ${t.pollerStalled(shortResource(r.resource), formatTime(r.cursorMovedAt, lang))}
            </li>`
          : html`<li>
              ${t.pollerLastSuccess(shortResource(r.resource), formatTime(r.lastSuccessAt, lang))}
            </li>`,
      )}
    </ul>`;
}

export function attentionPage(ctx: PageContext, v: AttentionView): SafeHtml {
  const { t, lang } = ctx;
  const report = v.archive.report;
  const archiveError = v.archive.error
    ? html`<p class="error" role="alert">${t.archiveUnavailable(v.archive.error)}</p>`
    : '';
  const body = html`${archiveError}
    <section aria-labelledby="a-unconfirmed">
      <h2 id="a-unconfirmed">${t.unconfirmedHeading(formatDuration(v.unconfirmedAfterSeconds, lang))}</h2>
      ${report ? transferList(ctx, report.unconfirmed) : ''}
    </section>
    <section aria-labelledby="a-upload">
      <h2 id="a-upload">${t.uploadFailedHeading}</h2>
      ${report ? transferList(ctx, report.uploadFailed) : ''}
    </section>
    <section aria-labelledby="a-dlq">
      <h2 id="a-dlq">${t.deadLetteredHeading}</h2>
      <ul class="items">
        ${v.deadLetters.map((d) =>
          d.error
            ? html`<li class="bad">${d.consumer}: ${t.kafkaUnavailable(d.error)}</li>`
            : html`<li${d.open > 0 ? html` class="bad"` : ''}><a href="/dead-letters?consumer=${encodeURIComponent(d.consumer)}">${t.deadLetteredCount(d.consumer, d.open)}</a></li>`,
        )}
      </ul>
      ${report ? reportList(ctx, report.deadLettered) : ''}
    </section>
    <section aria-labelledby="a-quarantine">
      <h2 id="a-quarantine">${t.quarantineHeading}</h2>
      <p class="muted">${t.quarantineHelp}</p>
      ${v.quarantine.error ? html`<p class="bad">${t.kafkaUnavailable(v.quarantine.error)}</p>` : ''}
      ${
        v.quarantine.items && v.quarantine.items.length > 0
          ? html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="a-quarantine">
              <table>
                <thead>
                  <tr>
                    <th scope="col">${t.colReceived}</th>
                    <th scope="col">${t.colReason}</th>
                    <th scope="col">${t.colBody}</th>
                  </tr>
                </thead>
                <tbody>
                  ${v.quarantine.items.map(
                    (q) =>
                      html`<tr>
                        <td>${formatTime(q.receivedAt, lang)}</td>
                        <td>
                          <ul>
                            ${q.violations.map((x) => html`<li><code>${x.path}</code>: ${x.reason}</li>`)}
                          </ul>
                        </td>
                        <td><pre class="body" tabindex="0">${q.bodyExcerpt}</pre></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : v.quarantine.error
            ? ''
            : html`<p>${t.nothing}</p>`
      }
    </section>
    <section aria-labelledby="a-poller">
      <h2 id="a-poller">${t.pollerHeading}</h2>
      ${pollerSection(ctx, v.poller)}
    </section>
    <section aria-labelledby="a-quiet">
      <h2 id="a-quiet">${t.quietHeading(formatDuration(v.quietAfterSeconds, lang))}</h2>
      ${
        report
          ? report.quietResources.length === 0
            ? html`<p>${t.nothing}</p>`
            : html`<ul class="items">
                ${report.quietResources.map((r) => html`<li>${shortResource(r.resource)} — ${t.lastReceived} ${formatTime(r.lastReceivedAt, lang)}</li>`)}
              </ul>`
          : ''
      }
    </section>`;
  return page(ctx, 'attention', t.attentionTitle, body);
}
