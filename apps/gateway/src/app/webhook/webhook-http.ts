import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppLogger, HealthRegistry } from '@broker-events/observability';
import type { GatewayConfig } from '../config/gateway.config';
import type { GatewayMetrics, RequestOutcome } from '../gateway.metrics';
import { PROBLEM_CONTENT_TYPE, type Problem, problems } from './problem';
import { isInternalAddress, SourceRefusals } from './source-refusals';
import { WebhookAuthenticator, redactWebhookUrl } from './webhook-auth';
import { BATCH_CONTENT_TYPE } from './webhook.service';

export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/cloudevents+json', BATCH_CONTENT_TYPE];

/**
 * Wires the parts of the webhook that must run before NestJS sees a request: authentication and the
 * source allow-list (before the body is read, so an unauthenticated caller learns nothing and costs
 * little), the raw-body parsers for the three accepted media types, and the access log with the token
 * redacted. Errors Fastify raises itself (413, 415) are answered by ProblemFilter.
 */
export function configureWebhookHttp(
  fastify: FastifyInstance,
  config: GatewayConfig,
  metrics: GatewayMetrics,
  logger: AppLogger,
  health: HealthRegistry,
): void {
  const auth = new WebhookAuthenticator(config.WEBHOOK_TOKENS, config.ALLOWED_SOURCE_CIDRS);
  const refusals = new SourceRefusals(config.TRUSTED_PROXY_HOPS);
  if (config.ALLOWED_SOURCE_CIDRS.length > 0) {
    health.registerNote('sourceAllowList', () => refusals.note());
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
    if (outcome) {
      metrics.requests.inc({ outcome, type: '' });
      return replyProblem(reply, problems.unauthorized());
    }
    if (req.method !== 'POST')
      return replyProblem(reply.header('Allow', 'POST'), problems.methodNotAllowed());
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

function replyProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .header('Content-Type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem));
}
