import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { performance } from 'node:perf_hooks';
import { type Observable, tap } from 'rxjs';

/**
 * Adds `Server-Timing: handler;dur=<ms>` to every read API answer: the time inside the handler (query
 * parameters checked, the store's queries run, the answer built), without HTTP and JSON serialisation. The
 * query benchmark (tools/archive-bench) reads it; a browser's developer tools show it too.
 */
@Injectable()
export class ServerTimingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const start = performance.now();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const stamp = (): void => {
      void reply.header('server-timing', `handler;dur=${(performance.now() - start).toFixed(2)}`);
    };
    return next.handle().pipe(tap({ next: stamp, error: stamp }));
  }
}
