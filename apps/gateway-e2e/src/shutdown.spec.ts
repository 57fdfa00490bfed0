import { TOPICS } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import { post, startGatewayProcess, until } from './support/gateway-process';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const TOKEN = 'shutdown-token-' + 'f'.repeat(40);

it('finishes in-flight requests and their Kafka writes on SIGTERM, then exits 0', async () => {
  const tail = await TopicTail.start(brokers, [TOPICS.events]);
  // A long linger holds the requests inside the gateway, so SIGTERM surely arrives while they are in flight.
  const gateway = await startGatewayProcess({
    KAFKA_BROKERS: brokers,
    WEBHOOK_TOKENS: TOKEN,
    PUBLISH_LINGER_MS: '1000',
  });
  try {
    await until('readiness', async () => (await fetch(`${gateway.url}/health/ready`)).status === 200, 30_000);
    const events = Array.from({ length: 20 }, () => sampleEventBody());
    const answers = events.map((e) => post(`${gateway.url}/altinn/events/${TOKEN}`, JSON.stringify(e)));
    await until(
      'all 20 requests in flight',
      async () =>
        /gateway_requests_in_flight\{[^}]*\} 20/.test(await (await fetch(`${gateway.url}/metrics`)).text()),
      10_000,
    );
    const exit = gateway.stop();
    const statuses = await Promise.all(answers.map(async (a) => (await a).status));
    expect(statuses).toEqual(events.map(() => 200));
    expect(await exit).toBe(0);
    await tail.waitFor((m) => events.every((e) => m.some((x) => x.headers['ce_id'] === e['id'])));
    expect(gateway.output()).toContain('shutting down');
  } finally {
    await gateway.stop();
    await tail.stop();
  }
}, 90_000);
