import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import { startAppProcess } from '@broker-events/testing';
import { freePort, post, runGatewayToExit, until } from './support/gateway-process';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'metrics-port-token-' + 'c'.repeat(40);

it('with METRICS_PORT, health and metrics answer only there, and the webhook port serves only the webhook', async () => {
  const tail = await TopicTail.start(brokers, [TOPICS.events]);
  const metricsPort = await freePort();
  const gateway = await startAppProcess(
    'gateway',
    { KAFKA_BROKERS: brokers, WEBHOOK_TOKENS: TOKEN, METRICS_PORT: String(metricsPort) },
    { readyPort: metricsPort },
  );
  const ops = `http://127.0.0.1:${metricsPort}`;
  try {
    await until(
      'readiness on METRICS_PORT',
      async () => (await fetch(`${ops}/health/ready`).catch(() => undefined))?.status === 200,
      30_000,
    );
    expect((await fetch(`${ops}/health/live`)).status).toBe(200);
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^gateway_requests_in_flight/m);
    // The webhook port: no health, no metrics (not even with a query string or a trailing slash).
    for (const path of ['/health/live', '/health/ready', '/metrics', '/metrics?x=1', '/health/'])
      expect([path, (await fetch(`${gateway.url}${path}`)).status]).toEqual([path, 404]);
    // …but the webhook, and the metrics port has no webhook.
    const event = sampleEventBody();
    expect((await post(`${gateway.url}/altinn/events/${TOKEN}`, JSON.stringify(event))).status).toBe(200);
    expect((await post(`${ops}/altinn/events/${TOKEN}`, JSON.stringify(sampleEventBody()))).status).toBe(404);
    await tail.waitFor((m) => m.some((x) => x.headers['ce_id'] === event['id']));
    expect(await gateway.stop()).toBe(0);
  } finally {
    await gateway.stop();
    await tail.stop();
  }
}, 90_000);

it('refuses METRICS_PORT equal to PORT', async () => {
  const port = await freePort();
  const run = await runGatewayToExit({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    PORT: String(port),
    METRICS_PORT: String(port),
  });
  expect(run.code).toBe(78);
  expect(run.output).toContain('METRICS_PORT');
}, 30_000);
