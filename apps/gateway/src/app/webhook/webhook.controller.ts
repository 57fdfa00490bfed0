import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WEBHOOK_PATH } from './webhook-auth';
import { WebhookHttp } from './webhook-http.plugin';
import { WebhookService } from './webhook.service';

/**
 * The endpoint registered as `endPoint` of the Altinn Events subscriptions. Authentication and the
 * source allow-list run before the body is read, and the answer is written by WebhookHttp (the HTTP edge);
 * this only hands the request to WebhookService.
 */
@Controller(WEBHOOK_PATH.slice(1))
export class WebhookController {
  constructor(
    private readonly webhooks: WebhookService,
    private readonly http: WebhookHttp,
  ) {}

  @Post(':token')
  @HttpCode(200)
  async withPathToken(
    @Body() body: Buffer,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.receive(body, req, reply);
  }

  @Post()
  @HttpCode(200)
  async withQueryToken(
    @Body() body: Buffer,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.receive(body, req, reply);
  }

  private receive(body: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    return this.http.handle(reply, async () => {
      if (!Buffer.isBuffer(body)) return { kind: 'no-body' };
      const contentType = req.headers['content-type'];
      const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
      return this.webhooks.handle({ body, mediaType, contentType, remoteAddress: req.ip });
    });
  }
}
