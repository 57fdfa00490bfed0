import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_LOGGER, type AppLogger } from '@broker-events/observability';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config';
import { GatewayMetrics } from './gateway.metrics';
import { PROBLEM_CONTENT_TYPE, type Problem, problems } from './webhook/problem';

/**
 * Every error raised before or outside the webhook handler (body too large, unsupported media type,
 * unknown route, anything unexpected) is answered as problem+json. It never repeats the request URL (it
 * may hold a token) nor an internal message.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    const status = statusOf(exception);
    let problem: Problem;
    if (status === 415) {
      this.metrics.requests.inc({ outcome: 'unsupported_media_type', type: '' });
      problem = problems.unsupportedMediaType(req.headers['content-type']);
    } else if (status === 413) {
      this.metrics.requests.inc({ outcome: 'too_large', type: '' });
      problem = problems.tooLarge(this.config.BODY_LIMIT_BYTES);
    } else if (status >= 500) {
      this.logger.error(
        { err: exception instanceof Error ? exception.message : String(exception) },
        'unhandled error',
      );
      problem = { type: 'about:blank', title: 'Internal Server Error', status: 500 };
    } else {
      problem = { type: 'about:blank', title: httpTitles[status] ?? 'Bad Request', status };
    }
    void reply
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
