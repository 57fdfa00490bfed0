import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookDelivery } from '@broker-events/altinn-client/testing';

/** What the control API can do to the running stack (`npm start`'s process). */
export interface StackControls {
  /** The app names that may be stopped and started. */
  apps: readonly string[];
  stopApp(name: string): Promise<void>;
  /** Starts the app again and resolves once it is ready. */
  startApp(name: string): Promise<void>;
  /** Whether the app is running now. */
  isRunning(name: string): boolean;
  /** The local Altinn's webhook pushes (undefined when a real Altinn environment is used). */
  webhookDeliveries?: () => WebhookDelivery[];
}

/**
 * A small HTTP API on 127.0.0.1 through which `npm run demo` (another process) stops and starts apps of the
 * running stack and reads how the local Altinn's pushes went:
 *   GET  /apps                      {"gateway": true, …} (running or not)
 *   POST /apps/<name>/stop|start    stop it (SIGTERM, drained) / start it and wait until it is ready
 *   GET  /altinn/deliveries         every webhook push of the local Altinn, with its attempts
 * Loopback only; nothing secret is served.
 */
export async function startControlServer(
  controls: StackControls,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const app = /^\/apps\/([a-z-]+)\/(stop|start)$/.exec(path);
    void (async () => {
      if (req.method === 'GET' && path === '/apps') {
        return send(res, 200, Object.fromEntries(controls.apps.map((a) => [a, controls.isRunning(a)])));
      }
      if (req.method === 'GET' && path === '/altinn/deliveries') {
        if (!controls.webhookDeliveries) return send(res, 404, { error: 'no local Altinn is running' });
        return send(res, 200, controls.webhookDeliveries());
      }
      if (req.method === 'POST' && app) {
        const [, name, action] = app;
        if (!controls.apps.includes(name)) return send(res, 404, { error: `no app ${name}` });
        if (action === 'stop') await controls.stopApp(name);
        else await controls.startApp(name);
        return send(res, 200, { app: name, running: controls.isRunning(name) });
      }
      send(res, 404, { error: 'not found' });
    })().catch((error: unknown) =>
      send(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
