import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { moveOperatorPaths } from './operator-port';

describe('moveOperatorPaths', () => {
  it('serves health and metrics on the operator port alone, and closes it with the app', async () => {
    const app = Fastify();
    app.get('/health/ready', async () => ({ status: 'ok' }));
    app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send('app_up 1\n'));
    app.get('/page', async () => 'a page');
    app.post('/metrics', async () => 'not for anyone');
    const operators = moveOperatorPaths(app, 0, '127.0.0.1');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const main = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const server = await operators.listen();
    const ops = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // The main port: what an Ingress routes. No health or metrics, however the path is written.
      for (const path of ['/health/ready', '/health/', '/health', '/metrics', '/metrics?x=1', '/metrics/'])
        expect([path, (await fetch(`${main}${path}`)).status]).toEqual([path, 404]);
      expect(await (await fetch(`${main}/page`)).text()).toBe('a page');
      // A header a client sends cannot pass for the operator port's own requests.
      const forged = await fetch(`${main}/metrics`, { headers: { 'x-broker-events-operator': 'guess' } });
      expect(forged.status).toBe(404);

      const metrics = await fetch(`${ops}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
      expect(await metrics.text()).toBe('app_up 1\n');
      expect(await (await fetch(`${ops}/health/ready`)).json()).toEqual({ status: 'ok' });
      // The operator port: nothing else, and only GET.
      expect((await fetch(`${ops}/page`)).status).toBe(404);
      expect((await fetch(`${ops}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await app.close();
    }
    expect(server.listening).toBe(false);
    await expect(fetch(`${ops}/metrics`)).rejects.toThrow();
  });
});
