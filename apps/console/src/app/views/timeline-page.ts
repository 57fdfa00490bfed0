import type { TransferTimeline } from '@broker-events/contracts';
import { describeDelivery, describeState, formatTime, shortResource } from './format';
import { type SafeHtml, html } from './html';
import { type PageContext, page } from './layout';

/** One transfer: its state in words, then every event in order with what each consumer did about it. */
export function timelinePage(ctx: PageContext, timeline: TransferTimeline): SafeHtml {
  const { t, lang } = ctx;
  const s = timeline.transfer;
  const body = html`<div data-live="timeline" data-transfer="${s.fileTransferId}">
    <section aria-labelledby="state-h" class="summary">
      <h2 id="state-h">${t.stateHeading}</h2>
      <p class="state state-${s.state.phase}">${describeState(s.state, t)}</p>
      <dl>
        <dt>${t.colResource}</dt>
        <dd>${shortResource(s.resource)}</dd>
        <dt>${t.colOrgs}</dt>
        <dd>${s.organisations.join(', ')}</dd>
        <dt>${t.colEvents}</dt>
        <dd>${s.eventCount}</dd>
      </dl>
    </section>
    <section aria-labelledby="events-h">
      <h2 id="events-h">${t.timelineEvents}</h2>
      <ol class="timeline">
        ${timeline.events.map(
          (e) =>
            html`<li class="event">
              <h3><span class="type">${e.type}</span></h3>
              <p class="meta">
                <time datetime="${e.time ?? ''}">${formatTime(e.time, lang)}</time
                >${e.role ? html` · ${t.colRole}: ${e.role}` : ''}${e.subject ? html` · ${t.colSubject}: ${e.subject}` : ''}
                · ${t.received} <time datetime="${e.receivedAt}">${formatTime(e.receivedAt, lang)}</time>
              </p>
              <h4 class="visually-hidden">${t.colWhatHappened}</h4>
              ${
                e.deliveries.length === 0
                  ? html`<p class="muted">${t.noDeliveries}</p>`
                  : html`<ul class="deliveries">
                      ${e.deliveries.map(
                        (d) =>
                          html`<li class="outcome-${d.outcome}">
                            <time datetime="${d.at}">${formatTime(d.at, lang)}</time>
                            ${describeDelivery(d, t)}
                          </li>`,
                      )}
                    </ul>`
              }
              <details>
                <summary>${t.showEvent}</summary>
                <pre tabindex="0">${JSON.stringify(e.event, null, 2)}</pre>
              </details>
            </li>`,
        )}
      </ol>
    </section>
  </div>`;
  return page(ctx, 'transfers', t.timelineTitle(s.fileTransferId), body);
}
