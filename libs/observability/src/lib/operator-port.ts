import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The paths that move to the operator port: the health probes and the Prometheus metrics. */
const OPERATOR_PATHS = /^\/(health|metrics)(\/|\?|$)/;
const INTERNAL_HEADER = 'x-broker-events-operator';

/**
 * Health and metrics on a port of their own (an app's `METRICS_PORT`), so that what an Ingress routes to the
 * app's main port cannot reach them, whatever paths it routes. Call before the app listens: from then on its
 * main port answers 404 for `/health…` and `/metrics…`; `listen` then opens the operator port (`port` on `host`),
 * which answers GET for those paths alone, by the app's own handlers (in-process injection, never over the
 * network). The operator port closes with the app.
 */
export function moveOperatorPaths(
  fastify: FastifyInstance,
  port: number,
  host: string,
): { listen(): Promise<Server> } {
  // Marks the injected requests as the operator port's, so the main port's guard lets them through.
  const secret = randomBytes(32).toString('hex');
  let server: Server | undefined;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (OPERATOR_PATHS.test(request.url) && request.headers[INTERNAL_HEADER] !== secret) {
      void reply.code(404).header('content-type', 'text/plain').send('Not Found');
      return;
    }
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    if (!server) return done();
    server.close(() => done());
    server.closeAllConnections();
  });
  return {
    async listen(): Promise<Server> {
      const operators = createServer((req, res) => {
        const url = req.url ?? '/';
        if (req.method !== 'GET' || !OPERATOR_PATHS.test(url)) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
          return;
        }
        fastify.inject({ method: 'GET', url, headers: { [INTERNAL_HEADER]: secret } }).then(
          (r) => {
            const type = r.headers['content-type'];
            res.writeHead(r.statusCode, type ? { 'content-type': String(type) } : {}).end(r.rawPayload);
          },
          () => res.writeHead(503, { 'content-type': 'text/plain' }).end('shutting down'),
        );
      });
      await new Promise<void>((resolve, reject) => {
        operators.once('error', reject);
        operators.listen(port, host, () => resolve());
      });
      server = operators;
      return operators;
    },
  };
}
