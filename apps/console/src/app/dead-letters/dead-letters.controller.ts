import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { AuthService } from '../auth/auth.service';
import { SignedInGuard, type SignedInRequest } from '../auth/signed-in.guard';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/console.config';
import { pageContext } from '../views/context';
import { type ConsumerDeadLetters, confirmRedrivePage, deadLettersPage } from '../views/dead-letters-page';
import { html } from '../views/html';
import { sendHtml } from '../views/reply';
import { AUDIT_STORE } from '../console.tokens';
import type { AuditStore } from '../audit/audit.store';
import { DeadLettersService, parseRefs } from './dead-letters.service';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function formValues(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * GET /dead-letters (everyone signed in); POST …/:consumer/confirm shows what a re-drive would do; POST
 * …/:consumer/redrive does it (operators only, CSRF-checked by the guard, recorded in the audit log).
 */
@Controller('dead-letters')
@UseGuards(SignedInGuard)
export class DeadLettersController {
  private readonly redrives: Counter<'consumer' | 'outcome'>;

  constructor(
    private readonly auth: AuthService,
    private readonly deadLetters: DeadLettersService,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    @Inject(AUDIT_STORE) private readonly audit: AuditStore,
    registry: Registry,
  ) {
    this.redrives = new Counter({
      name: 'console_redriven_records_total',
      help: 'Dead letters re-driven from the console, by consumer and outcome (ok, failed).',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    });
  }

  private consumer(name: string): string {
    if (!this.config.CONSOLE_CONSUMERS.includes(name))
      throw new NotFoundException(`No consumer ${name} in CONSOLE_CONSUMERS`);
    return name;
  }

  private async listAll(only?: string): Promise<ConsumerDeadLetters[]> {
    const names = only ? [this.consumer(only)] : this.config.CONSOLE_CONSUMERS;
    return Promise.all(
      names.map((consumer) =>
        this.deadLetters.list(consumer).then(
          (listing) => ({ consumer, ...listing }),
          (error: unknown) => ({ consumer, error: message(error) }),
        ),
      ),
    );
  }

  @Get()
  async list(
    @Req() req: SignedInRequest,
    @Res() reply: FastifyReply,
    @Query('consumer') consumer?: string,
    @Query('redriven') redriven?: string,
    @Query('done') done?: string,
    @Query('failed') failed?: string,
  ): Promise<void> {
    const ctx = pageContext(this.auth, req);
    const only = consumer || undefined;
    let notice;
    if (only && done && /^\d{1,6}$/.test(done))
      notice = html`<p class="notice" role="status">${ctx.t.redriveDone(Number(done), only)}</p>`;
    if (failed && /^\d{1,12}$/.test(failed)) {
      const entry = (await this.audit.list(500)).find((e) => e.id === Number(failed));
      if (entry) notice = html`<p class="error" role="alert">${ctx.t.redriveFailed(entry.error ?? '')}</p>`;
    }
    sendHtml(
      reply,
      200,
      deadLettersPage(ctx, await this.listAll(only), {
        showRedriven: redriven === '1',
        ...(only ? { consumer: only } : {}),
        ...(notice ? { notice } : {}),
      }),
    );
  }

  @Post(':consumer/confirm')
  async confirm(
    @Req() req: SignedInRequest,
    @Res() reply: FastifyReply,
    @Param('consumer') name: string,
  ): Promise<void> {
    const ctx = pageContext(this.auth, req);
    if (ctx.user.role !== 'operator') throw new ForbiddenException(ctx.t.viewerCannotRedrive);
    const consumer = this.consumer(name);
    const { rows } = await this.deadLetters.list(consumer);
    const all = formValues(req.body, 'scope')[0] === 'all';
    const refs = parseRefs(formValues(req.body, 'sel'));
    if (!refs) throw new BadRequestException('sel must be partition:offset');
    const wanted = new Set(refs.map((r) => `${r.partition}:${r.offset}`));
    const chosen = rows.filter((r) => !r.redriven && (all || wanted.has(`${r.partition}:${r.offset}`)));
    if (chosen.length === 0) {
      sendHtml(
        reply,
        400,
        deadLettersPage(ctx, await this.listAll(consumer), {
          showRedriven: false,
          consumer,
          notice: html`<p class="error" role="alert">${ctx.t.nothingSelected}</p>`,
        }),
      );
      return;
    }
    sendHtml(reply, 200, confirmRedrivePage(ctx, consumer, chosen.reverse()));
  }

  @Post(':consumer/redrive')
  async redrive(
    @Req() req: SignedInRequest,
    @Res() reply: FastifyReply,
    @Param('consumer') name: string,
  ): Promise<void> {
    const ctx = pageContext(this.auth, req);
    if (ctx.user.role !== 'operator') throw new ForbiddenException(ctx.t.viewerCannotRedrive);
    const consumer = this.consumer(name);
    const refs = parseRefs(formValues(req.body, 'sel'));
    if (!refs || refs.length === 0) throw new BadRequestException('sel must be one or more partition:offset');
    const { entry } = await this.deadLetters.redrive(ctx.user, consumer, refs);
    this.redrives.inc({ consumer, outcome: entry.outcome }, refs.length);
    // Post/redirect/get: a reload of the result does not re-drive again.
    const result = entry.outcome === 'ok' ? `done=${refs.length}` : `failed=${entry.id}`;
    void reply.redirect(`/dead-letters?consumer=${encodeURIComponent(consumer)}&redriven=1&${result}`, 303);
  }
}
