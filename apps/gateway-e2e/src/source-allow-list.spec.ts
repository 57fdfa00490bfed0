import { type GatewayProcess, post, startGatewayProcess, until } from './support/gateway-process';

/**
 * The classic first-week failure behind a load balancer: the allow-list holds Altinn's address, but the
 * gateway sees the load balancer's (here: loopback, with TRUSTED_PROXY_HOPS=0), so every push is refused,
 * the subscription handshake included. The operator must be told which address was seen and why.
 */
const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'allow-list-token-' + 'e'.repeat(40);
let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    ALLOWED_SOURCE_CIDRS: '20.100.24.41/32',
    LOG_LEVEL: 'info',
  });
  await until(
    'gateway ready',
    async () => (await fetch(`${gateway.url}/health/ready`)).status === 200,
    30_000,
  );
}, 60_000);

afterAll(async () => {
  expect(await gateway?.stop()).toBe(0);
}, 30_000);

it('says at start-up that the allow-list is checked against the connecting address', async () => {
  await until('the start-up hint', () => gateway.output().includes('TRUSTED_PROXY_HOPS=0'));
});

it('refuses the handshake from the wrong address and says which address it saw and the likely cause', async () => {
  const handshake = {
    specversion: '1.0',
    id: '0f6a2d2c-58f3-4a35-9a28-5b0a3a4f4b11',
    type: 'platform.events.validatesubscription',
    source: 'https://platform.tt02.altinn.no/events/api/v1/subscriptions/42',
    time: '2026-11-20T09:00:00Z',
  };
  const res = await post(
    `${gateway.url}/altinn/events/${TOKEN}`,
    JSON.stringify(handshake),
    'application/json',
    {
      'x-forwarded-for': '20.100.24.41',
    },
  );
  expect(res.status).toBe(401);
  await until('the refusal in the log', () => gateway.output().includes('source address refused'));
  const line = gateway
    .output()
    .split('\n')
    .find((l) => l.includes('source address refused'));
  expect(line).toContain('127.0.0.1');
  expect(line).toContain('X-Forwarded-For \\"20.100.24.41\\"');
  expect(line).toContain('TRUSTED_PROXY_HOPS is 0');

  // Still ready (taking it out of the load balancer would not help), with a note saying what is wrong.
  const ready = await fetch(`${gateway.url}/health/ready`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as { notes?: Record<string, string> };
  expect(body.notes?.['sourceAllowList']).toMatch(/^1 webhook request\(s\) refused by ALLOWED_SOURCE_CIDRS/);
  expect(body.notes?.['sourceAllowList']).toContain('127.0.0.1');

  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  expect(metrics).toMatch(/gateway_source_refused_total\{address_kind="internal"[^}]*\} 1/);
});
