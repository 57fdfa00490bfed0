/**
 * The bare baseline for the gateway benchmark: node:http + JSON.parse + one kafkajs send per request, with
 * the same acks (all) and idempotent producer as the gateway, against the same broker and topic.
 */
import { createServer } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
const port = Number(process.env['PORT'] ?? 18081);
const topic = process.env['TOPIC'] ?? 'altinn.broker.events.v1';

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let event: { id?: string; resourceinstance?: string };
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof event;
      } catch {
        res.writeHead(400).end();
        return;
      }
      producer
        .send({
          topic,
          acks: -1,
          messages: [{ key: event.resourceinstance ?? event.id ?? null, value: Buffer.concat(chunks) }],
        })
        .then(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"published"}'),
          () => res.writeHead(503).end(),
        );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => process.stdout.write(`baseline listening on ${port}\n`));
  process.on('SIGTERM', () => {
    server.close();
    void producer.disconnect().then(() => process.exit(0));
  });
}

void main();
