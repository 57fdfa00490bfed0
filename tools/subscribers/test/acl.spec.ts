/**
 * The ACLs `npm run subscriber -- add` grants, proven on a real broker: a single-node Kafka with a SCRAM-SHA-512
 * listener and the StandardAuthorizer (deny unless allowed). The ACLs are taken from the generated KafkaUser and
 * created as the Strimzi User Operator would create them. A subscriber can read the events topic in its own
 * groups; it cannot write, read another topic, or join another team's group or ours.
 *
 * Not TLS: the listener is SASL_PLAINTEXT on 127.0.0.1, because the local broker has no certificates. TLS changes
 * how the client connects, not what the authorizer allows.
 */
import { TOPICS } from '@broker-events/contracts';
import {
  DEFAULT_KAFKA_VERSION,
  startKafka,
  stopKafka,
  type LocalKafkaOptions,
} from '@broker-events/kafka-local';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { type Obj, kafkaUser } from '../src/lib/subscriber';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const PASSWORDS: Record<string, string> = { 'team-a': randomUUID(), 'team-b': randomUUID() };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

interface StrimziAcl {
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' };
  operations: string[];
}

/** The KafkaUser's ACLs as Kafka ACL bindings for principal User:<name>, as Strimzi's User Operator makes them. */
function aclBindings(user: Obj) {
  const name = (user['metadata'] as { name: string }).name;
  const acls = ((user['spec'] as Obj)['authorization'] as { acls: StrimziAcl[] }).acls;
  return acls.flatMap((acl) =>
    acl.operations.map((op) => ({
      resourceType: acl.resource.type === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
      resourceName: acl.resource.name,
      resourcePatternType:
        acl.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${name}`,
      host: '*',
      operation: op === 'Read' ? AclOperationTypes.READ : AclOperationTypes.DESCRIBE,
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

describe('a subscriber KafkaUser on a broker with SCRAM and an authorizer', () => {
  let options: LocalKafkaOptions;
  let dataDir: string;
  let plainBrokers: string;
  let saslBrokers: string;
  const cleanup: (() => Promise<void>)[] = [];

  const asTeam = (team: string, password = PASSWORDS[team]) =>
    new Kafka({
      clientId: team,
      brokers: [saslBrokers],
      sasl: { mechanism: 'scram-sha-512', username: team, password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });

  beforeAll(async () => {
    const [port, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
    dataDir = mkdtempSync(join(tmpdir(), 'kafka-acl-'));
    plainBrokers = `${HOST}:${port}`;
    saslBrokers = `${HOST}:${saslPort}`;
    options = {
      port,
      controllerPort,
      dataDir,
      log: () => undefined,
      serverProperties: {
        listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort},SASL://${HOST}:${saslPort}`,
        'advertised.listeners': `PLAINTEXT://${HOST}:${port},SASL://${HOST}:${saslPort}`,
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'listener.name.sasl.scram-sha-512.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        // The loopback PLAINTEXT listener is the operator's (and the controller's): a super user. Subscribers
        // come in over SASL, where only their ACLs count.
        'super.users': 'User:ANONYMOUS',
        'allow.everyone.if.no.acl.found': false,
        'auto.create.topics.enable': false,
      },
    };
    await startKafka(options);

    const admin = new Kafka({
      clientId: 'acl-admin',
      brokers: [plainBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: TOPICS.events }, { topic: TOPICS.quarantine }],
      waitForLeaders: true,
    });
    for (const team of Object.keys(PASSWORDS)) {
      const user = kafkaUser({
        team,
        authentication: 'scram-sha-512',
        cluster: 'local',
        bootstrap: saslBrokers,
      });
      await admin.createAcls({ acl: aclBindings(user) });
      // What the User Operator does for a SCRAM user: set its credentials.
      await run('java', [
        '-cp',
        join(__dirname, '../../../.cache/kafka', DEFAULT_KAFKA_VERSION, 'libs/*'),
        'kafka.admin.ConfigCommand',
        '--bootstrap-server',
        plainBrokers,
        '--alter',
        '--add-config',
        `SCRAM-SHA-512=[iterations=4096,password=${PASSWORDS[team]}]`,
        '--entity-type',
        'users',
        '--entity-name',
        team,
      ]);
    }
    await admin.disconnect();

    // Credentials reach the SASL listener through the metadata log: wait until team-a can log in.
    for (let attempt = 0; ; attempt++) {
      const probe = asTeam('team-a').admin();
      try {
        await probe.connect();
        await probe.fetchTopicMetadata({ topics: [TOPICS.events] });
        await probe.disconnect();
        break;
      } catch (err) {
        await probe.disconnect().catch(() => undefined);
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 180_000);

  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c().catch(() => undefined);
  });

  afterAll(async () => {
    if (options !== undefined) await stopKafka(options);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('lets team-a read the events topic in a group of its own', async () => {
    const producer = new Kafka({
      clientId: 'gateway',
      brokers: [plainBrokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    const id = randomUUID();
    await producer.send({
      topic: TOPICS.events,
      acks: -1,
      messages: [{ key: id, value: '{}', headers: { ce_id: id } }],
    });
    await producer.disconnect();

    const consumer = asTeam('team-a').consumer({ groupId: `team-a-reader-${randomUUID()}` });
    cleanup.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    const seen = await new Promise<string>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === id) resolve(id);
        },
      });
    });
    expect(seen).toBe(id);
  }, 60_000);

  it('does not let team-a write to the events topic', async () => {
    const producer = asTeam('team-a').producer();
    cleanup.push(() => producer.disconnect());
    await producer.connect();
    await expect(
      producer.send({ topic: TOPICS.events, acks: -1, messages: [{ key: 'k', value: 'forged' }] }),
    ).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
  });

  it('does not let team-a read another topic', async () => {
    const admin = asTeam('team-a').admin();
    cleanup.push(() => admin.disconnect());
    await admin.connect();
    await expect(admin.fetchTopicOffsets(TOPICS.quarantine)).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
  });

  it.each(['team-b-reader', 'archive-server', 'team-reader'])(
    'does not let team-a join the group %s',
    async (groupId) => {
      // kafkajs reports a refused FindCoordinator as "group coordinator not found"; the broker's actual answer
      // (GROUP_AUTHORIZATION_FAILED) is in its debug log, so capture that.
      const refusals: string[] = [];
      const kafka = new Kafka({
        clientId: 'team-a',
        brokers: [saslBrokers],
        sasl: { mechanism: 'scram-sha-512', username: 'team-a', password: PASSWORDS['team-a'] },
        retry: { retries: 0 },
        logLevel: logLevel.DEBUG,
        logCreator:
          () =>
          ({ log }) => {
            const error = (log as { error?: unknown }).error;
            if (
              log.message === 'Tried to find group coordinator' &&
              (log as { groupId?: string }).groupId === groupId
            )
              refusals.push(String(error));
          },
      });
      const consumer = kafka.consumer({
        groupId,
        retry: { retries: 0, restartOnFailure: async () => false },
      });
      cleanup.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
      const crash = await new Promise<unknown>((resolve) => {
        consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error));
        void consumer.run({ eachMessage: async () => undefined });
      });
      expect(crash).toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound' });
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.every((r) => /Not authorized to access group/i.test(r))).toBe(true);
    },
    60_000,
  );

  it('refuses a wrong password', async () => {
    const admin = asTeam('team-a', 'not-the-password').admin();
    cleanup.push(() => admin.disconnect());
    await expect(admin.connect()).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
  });
});
