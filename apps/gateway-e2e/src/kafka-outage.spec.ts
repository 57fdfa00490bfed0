import { TOPICS } from '@broker-events/contracts';
import { startKafka, stopKafka } from '@broker-events/kafka-local';
import { TopicTail } from '@broker-events/messaging/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GatewayProcess, freePort, post, startGatewayProcess, until } from './support/gateway-process';

/**
 * A private broker that this test stops and starts, so the shared one other tests use stays up.
 */
const TOKEN = 'outage-token-' + 'c'.repeat(40);
let dataDir: string;
let port: number;
let gateway: GatewayProcess | undefined;

function event(): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: 'no.altinn.broker.downloadconfirmed',
    time: '2026-11-20T09:05:00.000000Z',
    resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
    resourceinstance: randomUUID(),
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: 'urn:altinn:organization:identifier-no:312000008',
    data: { Role: 'Recipient' },
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gateway-outage-'));
  port = await freePort();
  await startKafka({ port, controllerPort: await freePort(), dataDir });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await stopKafka({ port, dataDir });
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

it('answers 503 with Retry-After while Kafka is down and 2xx again once it is back, without a restart', async () => {
  const brokers = `127.0.0.1:${port}`;
  gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    PUBLISH_TIMEOUT_MS: '3000',
    RETRY_AFTER_SECONDS: '7',
  });
  const url = `${gateway.url}/altinn/events/${TOKEN}`;
  await until('readiness', async () => (await fetch(`${gateway?.url}/health/ready`)).status === 200, 30_000);
  const before = event();
  expect((await post(url, JSON.stringify(before))).status).toBe(200);

  await stopKafka({ port, dataDir });
  const during = event();
  const down = await post(url, JSON.stringify(during));
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('7');
  expect(down.headers.get('content-type')).toContain('application/problem+json');
  await until('not ready', async () => (await fetch(`${gateway?.url}/health/ready`)).status === 503, 15_000);

  await startKafka({ port, dataDir });
  // Altinn retries the same event: it must go through once Kafka is back, on the same gateway process.
  await until(
    'a 2xx after recovery',
    async () => (await post(url, JSON.stringify(during))).status === 200,
    60_000,
  );
  await until(
    'ready again',
    async () => (await fetch(`${gateway?.url}/health/ready`)).status === 200,
    15_000,
  );

  const tail = await TopicTail.start(brokers, [TOPICS.events]);
  const after = event();
  expect((await post(url, JSON.stringify(after))).status).toBe(200);
  await tail.waitFor((m) => m.some((x) => x.headers['ce_id'] === after['id']));
  await tail.stop();
}, 180_000);
