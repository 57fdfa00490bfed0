import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_LOGGER, type AppLogger, HealthRegistry } from '@broker-events/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics, type RequestOutcome } from '../gateway.metrics';
import { ACCEPTED_MEDIA_TYPES } from './media-types';
import { PROBLEM_CONTENT_TYPE, type Problem, problems } from './problem';
import { isInternalAddress, SourceRefusals } from './source-refusals';
import { WebhookAuthenticator, redactWebhookUrl } from './webhook-auth';
import type { DeliveryResult } from './webhook.service';

/** What the controller hands over: WebhookService's result, or a request that carried no body. */
export type WebhookOutcome = DeliveryResult | { kind: 'no-body' };

/**
 * The gateway's HTTP edge, the one place that writes answers and counts requests (`gateway_requests_total`,
 * `gateway_requests_in_flight`):
 *
 * - as a Fastify plugin ({@link WebhookHttp.register}), what must run before NestJS sees a request:
 *   authentication and the source allow-list (before the body is read, so an unauthenticated caller learns
 *   nothing and costs little), the raw-body parsers for the three accepted media types, and the access log
 *   with the token redacted;
 * - for the controller ({@link WebhookHttp.handle}), the status code that tells Altinn whether to retry;
 * - as the Nest exception filter, every error raised before or outside the handler (body too large,
 *   unsupported media type, unknown route, anything unexpected), as problem+json. An answer never repeats
 *   the request URL (it may hold a token) nor an internal message.
 */
@Injectable()
@Catch()
export class WebhookHttp implements ExceptionFilter {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly health: HealthRegistry,
  ) {}

  /** Installs the hooks and parsers on the application's Fastify instance (before it listens). */
  register(fastify: FastifyInstance): void {
    const { config, metrics, logger } = this;
    const auth = new WebhookAuthenticator(config.WEBHOOK_TOKENS, config.ALLOWED_SOURCE_CIDRS);
    const refusals = new SourceRefusals(config.TRUSTED_PROXY_HOPS);
    if (config.ALLOWED_SOURCE_CIDRS.length > 0) {
      this.health.registerNote('sourceAllowList', () => refusals.note());
      if (config.TRUSTED_PROXY_HOPS === 0)
        logger.info(
          'ALLOWED_SOURCE_CIDRS is checked against the connecting address (TRUSTED_PROXY_HOPS=0): behind a load balancer or ingress that is the proxy, so set TRUSTED_PROXY_HOPS or preserve client addresses',
        );
    }

    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      ACCEPTED_MEDIA_TYPES,
      { parseAs: 'buffer', bodyLimit: config.BODY_LIMIT_BYTES },
      (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) =>
        done(null, body),
    );

    fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const { webhook, token } = WebhookAuthenticator.tokenFromUrl(req.raw.url ?? '');
      if (!webhook) return;
      let outcome: RequestOutcome | undefined;
      if (!auth.sourceAllowed(req.ip)) {
        outcome = 'forbidden_source';
        const forwarded = req.headers['x-forwarded-for'];
        const refusal = {
          address: req.ip,
          forwardedFor: Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
        };
        metrics.sourceRefused.inc({ address_kind: isInternalAddress(req.ip) ? 'internal' : 'public' });
        const hint = refusals.refused(refusal);
        if (hint)
          logger.warn(
            { remoteAddress: req.ip, forwardedFor: refusal.forwardedFor },
            `source address refused: ${hint}`,
          );
      } else if (!auth.tokenAccepted(token)) outcome = 'unauthorized';
      else refusals.allowed();
      if (outcome) return this.problem(reply, problems.unauthorized(), outcome);
      if (req.method !== 'POST')
        return this.problem(reply.header('Allow', 'POST'), problems.methodNotAllowed());
      return undefined;
    });

    fastify.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      // 2xx answers already log the event they carried; the access line for them is debug.
      const level = reply.statusCode < 300 ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const url = redactWebhookUrl(req.raw.url ?? '');
      if (url.startsWith('/health') || url === '/metrics') return;
      logger[level](
        {
          method: req.method,
          path: url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          remoteAddress: req.ip,
        },
        'request',
      );
    });
  }

  /** Runs the controller's work as one in-flight request and answers with its outcome. */
  async handle(reply: FastifyReply, work: () => Promise<WebhookOutcome>): Promise<void> {
    this.metrics.inFlight.inc();
    try {
      await this.answer(reply, await work());
    } finally {
      this.metrics.inFlight.dec();
    }
  }

  private async answer(reply: FastifyReply, result: WebhookOutcome): Promise<void> {
    switch (result.kind) {
      case 'no-body':
        await this.problem(reply, problems.badRequest('A request body is required.'), 'invalid');
        return;
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
        await this.problem(reply, problems.invalidEvent(result.violations), 'invalid', result.type);
        return;
      case 'kafka-unavailable':
        reply.header('Retry-After', String(this.config.RETRY_AFTER_SECONDS));
        await this.problem(reply, problems.kafkaUnavailable(), 'kafka_unavailable', result.type);
        return;
    }
  }

  /** Nest's exception filter: Fastify's own errors (413, 415, 404, 405) and anything unexpected. */
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    const status = statusOf(exception);
    if (status === 415)
      void this.problem(
        reply,
        problems.unsupportedMediaType(req.headers['content-type']),
        'unsupported_media_type',
      );
    else if (status === 413)
      void this.problem(reply, problems.tooLarge(this.config.BODY_LIMIT_BYTES), 'too_large');
    else if (status >= 500) {
      this.logger.error(
        { err: exception instanceof Error ? exception.message : String(exception) },
        'unhandled error',
      );
      void this.problem(reply, { type: 'about:blank', title: 'Internal Server Error', status: 500 });
    } else
      void this.problem(reply, { type: 'about:blank', title: httpTitles[status] ?? 'Bad Request', status });
  }

  /** Writes a problem+json answer, counted under `outcome` when it is a webhook request's answer. */
  private problem(reply: FastifyReply, problem: Problem, outcome?: RequestOutcome, type = ''): FastifyReply {
    if (outcome) this.metrics.requests.inc({ outcome, type });
    return reply
      .code(problem.status)
      .header('Content-Type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

const httpTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
};
