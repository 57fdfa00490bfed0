import { Controller, Get, Inject, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { TOPICS } from '@broker-events/contracts';
import { readTopic, type createKafka } from '@broker-events/messaging';
import type { FastifyReply } from 'fastify';
import { ArchiveClient, ArchiveError, type TransferQuery } from './archive/archive.client';
import type { PollerClient } from './attention/poller.client';
import { toQuarantined } from './attention/quarantine';
import { AuthService } from './auth/auth.service';
import { SignedInGuard, type SignedInRequest } from './auth/signed-in.guard';
import { AUDIT_STORE, KAFKA, POLLER_CLIENT } from './console.tokens';
import type { AuditStore } from './audit/audit.store';
import { CONSOLE_CONFIG, type ConsoleConfig } from './config/console.config';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { attentionPage, type AttentionView } from './views/attention-page';
import { auditPage } from './views/audit-page';
import { pageContext } from './views/context';
import { osloLocalToIso } from './views/format';
import { html } from './views/html';
import { plainPage } from './views/layout';
import { sendHtml } from './views/reply';
import { timelinePage } from './views/timeline-page';
import { type TransferSearch, transfersPage } from './views/transfers-page';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const text = (v: unknown, max = 300): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/** The read-only pages: transfers, one transfer's timeline, what needs attention, the audit log. */
@Controller()
@UseGuards(SignedInGuard)
export class PagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly archive: ArchiveClient,
    private readonly deadLetters: DeadLettersService,
    @Inject(POLLER_CLIENT) private readonly poller: PollerClient,
    @Inject(KAFKA) private readonly kafka: ReturnType<typeof createKafka>,
    @Inject(AUDIT_STORE) private readonly audit: AuditStore,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
  ) {}

  @Get()
  home(@Res() reply: FastifyReply): void {
    void reply.redirect('/transfers', 302);
  }

  @Get('transfers')
  async transfers(
    @Req() req: SignedInRequest,
    @Res() reply: FastifyReply,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const ctx = pageContext(this.auth, req);
    const search: TransferSearch = {
      fileTransferId: text(query['fileTransferId'], 100),
      org: text(query['org'], 20),
      resource: text(query['resource'], 200),
      type: text(query['type'], 200),
      from: text(query['from'], 30),
      to: text(query['to'], 30),
      after: text(query['after'], 1000),
    };
    const problems: string[] = [];
    if (search.org !== '' && !/^\d{9}$/.test(search.org))
      problems.push(`${ctx.t.org}: 9 ${ctx.lang === 'nb' ? 'siffer' : 'digits'}`);
    const from = search.from === '' ? undefined : osloLocalToIso(search.from);
    const to = search.to === '' ? undefined : osloLocalToIso(search.to);
    if (search.from !== '' && !from) problems.push(`${ctx.t.from}: ${search.from}`);
    if (search.to !== '' && !to) problems.push(`${ctx.t.to}: ${search.to}`);
    if (problems.length > 0) {
      sendHtml(reply, 400, transfersPage(ctx, search, { problems }));
      return;
    }
    const q: TransferQuery = {
      ...(search.fileTransferId ? { fileTransferId: search.fileTransferId } : {}),
      ...(search.org ? { org: search.org } : {}),
      ...(search.resource ? { resource: search.resource } : {}),
      ...(search.type ? { type: search.type } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(search.after ? { after: search.after } : {}),
      limit: 50,
    };
    try {
      sendHtml(reply, 200, transfersPage(ctx, search, { page: await this.archive.transfers(q) }));
    } catch (error) {
      const status = error instanceof ArchiveError && error.status === 400 ? 400 : 502;
      sendHtml(reply, status, transfersPage(ctx, search, { error: message(error) }));
    }
  }

  @Get('transfers/:id')
  async timeline(
    @Req() req: SignedInRequest,
    @Res() reply: FastifyReply,
    @Param('id') id: string,
  ): Promise<void> {
    const ctx = pageContext(this.auth, req);
    let timeline;
    try {
      timeline = await this.archive.timeline(id);
    } catch (error) {
      sendHtml(
        reply,
        502,
        plainPage(
          ctx.lang,
          ctx.path,
          ctx.t.timelineTitle(id),
          html`<p class="error" role="alert">${ctx.t.archiveUnavailable(message(error))}</p>`,
        ),
      );
      return;
    }
    if (!timeline) {
      sendHtml(
        reply,
        404,
        plainPage(
          ctx.lang,
          ctx.path,
          ctx.t.notFoundTitle,
          html`<p>${ctx.t.unknownTransfer(id)}</p>
            <p><a href="/transfers">${ctx.t.navTransfers}</a></p>`,
        ),
      );
      return;
    }
    sendHtml(reply, 200, timelinePage(ctx, timeline));
  }

  @Get('attention')
  async attention(@Req() req: SignedInRequest, @Res() reply: FastifyReply): Promise<void> {
    const ctx = pageContext(this.auth, req);
    const c = this.config;
    const [archive, deadLetters, quarantine, poller] = await Promise.all([
      this.archive.attention(c.CONSOLE_UNCONFIRMED_AFTER_SECONDS, c.CONSOLE_QUIET_AFTER_SECONDS).then(
        (report) => ({ report }),
        (error: unknown) => ({ error: message(error) }),
      ),
      Promise.all(
        c.CONSOLE_CONSUMERS.map((consumer) =>
          this.deadLetters.list(consumer).then(
            ({ rows }) => ({ consumer, open: rows.filter((r) => !r.redriven).length }),
            (error: unknown) => ({ consumer, open: 0, error: message(error) }),
          ),
        ),
      ),
      readTopic(this.kafka, TOPICS.quarantine, { newest: 200 }).then(
        (records) => ({
          // The newest 50 across partitions (records come sorted by partition, then offset).
          items: [...records]
            .sort((a, b) => Number(b.timestamp) - Number(a.timestamp))
            .slice(0, 50)
            .map(toQuarantined),
        }),
        (error: unknown) =>
          /does not exist/.test(message(error)) ? { items: [] } : { error: message(error) },
      ),
      this.poller.status(),
    ]);
    const view: AttentionView = {
      archive,
      deadLetters,
      quarantine,
      poller,
      unconfirmedAfterSeconds: c.CONSOLE_UNCONFIRMED_AFTER_SECONDS,
      quietAfterSeconds: c.CONSOLE_QUIET_AFTER_SECONDS,
    };
    sendHtml(reply, 200, attentionPage(ctx, view));
  }

  @Get('audit')
  async auditLog(@Req() req: SignedInRequest, @Res() reply: FastifyReply): Promise<void> {
    sendHtml(reply, 200, auditPage(pageContext(this.auth, req), await this.audit.list(200)));
  }
}
