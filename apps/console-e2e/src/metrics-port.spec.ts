import { randomBytes } from 'node:crypto';
import { freePort, runAppToExit, startAppProcess } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';

/** A console with a trusted-header login and no archive: enough to see which port serves what. */
function env(port: number, extra: Record<string, string>): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    LOG_LEVEL: 'warn',
    PORT: String(port),
    ARCHIVE_URL: 'http://127.0.0.1:9',
    CONSOLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CONSOLE_COOKIE_SECURE: 'false',
    CONSOLE_TRUSTED_HEADER_USER: 'X-Auth-Request-Email',
    SESSION_SECRET: randomBytes(24).toString('hex'),
    ...extra,
  };
}

it('with METRICS_PORT, health and metrics answer only there, and PORT (what the Ingress routes) serves only the pages', async () => {
  const port = await freePort();
  const metricsPort = await freePort();
  const console = await startAppProcess('console', env(port, { METRICS_PORT: String(metricsPort) }), {
    readyPort: metricsPort,
  });
  const ops = `http://127.0.0.1:${metricsPort}`;
  try {
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^process_resident_memory_bytes/m);
    expect((await fetch(`${ops}/health/live`)).status).toBe(200);
    for (const path of ['/health/live', '/health/ready', '/metrics', '/metrics?x=1', '/health/'])
      expect([path, (await fetch(`${console.url}${path}`)).status]).toEqual([path, 404]);
    // The pages are still on PORT, and not on the metrics port.
    const css = await fetch(`${console.url}/static/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${ops}/static/console.css`)).status).toBe(404);
    expect((await fetch(`${console.url}/`)).status).not.toBe(404);
  } finally {
    await console.stop();
  }
}, 60_000);

it('refuses METRICS_PORT equal to PORT, naming it', async () => {
  const port = await freePort();
  const run = await runAppToExit('console', env(port, { METRICS_PORT: String(port) }));
  expect(run.code).toBe(78);
  expect(run.output).toContain('METRICS_PORT');
}, 30_000);
