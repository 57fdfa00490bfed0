import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayMetrics } from '../gateway.metrics';
import { PROBLEM_CONTENT_TYPE, problems } from './problem';
import { WEBHOOK_PATH } from './webhook-auth';
import { WebhookService } from './webhook.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/**
 * The endpoint registered as `endPoint` of the Altinn Events subscriptions. Authentication and the
 * source allow-list run before the body is read (see webhook-http.ts); this only turns the outcome of
 * WebhookService into the status code that tells Altinn whether to retry.
 */
@Controller(WEBHOOK_PATH.slice(1))
export class WebhookController {
  constructor(
    private readonly webhooks: WebhookService,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
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

  private async receive(body: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    this.metrics.inFlight.inc();
    try {
      const contentType = req.headers['content-type'];
      const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
      if (!Buffer.isBuffer(body)) {
        this.metrics.requests.inc({ outcome: 'invalid', type: '' });
        await sendProblem(reply, problems.badRequest('A request body is required.'));
        return;
      }
      const result = await this.webhooks.handle({ body, mediaType, contentType, remoteAddress: req.ip });
      switch (result.kind) {
        case 'handshake':
          this.metrics.requests.inc({ outcome: 'handshake', type: result.type });
          await reply.code(200).send({ status: 'validated' });
          return;
        case 'published': {
          const outcome = result.published === 0 && result.duplicates > 0 ? 'duplicate' : 'published';
          this.metrics.requests.inc({ outcome, type: result.type });
          await reply.code(200).send({
            status: outcome,
            published: result.published,
            duplicates: result.duplicates,
          });
          return;
        }
        case 'invalid':
          this.metrics.requests.inc({ outcome: 'invalid', type: result.type });
          await sendProblem(reply, problems.invalidEvent(result.violations));
          return;
        case 'kafka-unavailable':
          this.metrics.requests.inc({ outcome: 'kafka_unavailable', type: result.type });
          reply.header('Retry-After', String(this.config.RETRY_AFTER_SECONDS));
          await sendProblem(reply, problems.kafkaUnavailable());
          return;
      }
    } finally {
      this.metrics.inFlight.dec();
    }
  }
}

export async function sendProblem(reply: FastifyReply, problem: { status: number }): Promise<void> {
  await reply.code(problem.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
