import { randomBytes } from 'node:crypto';
import {
  type GatewayAndArchive,
  Ledger,
  type PrivateKafka,
  archivedRowsById,
  dropSchema,
  is2xx,
  isReady,
  isSettled,
  kafkaFor,
  resendUntilAccepted,
  settlement,
  startGatewayAndArchive,
  startPrivateKafka,
  steadyLoad,
  until,
} from '@broker-events/soak';

/**
 * The Kafka broker is killed (SIGKILL) under a steady load and started again. The gateway may answer 503
 * while it is gone, but never 2xx for an event Kafka does not hold, and it recovers on its own.
 */
const PG = process.env['SYSTEM_E2E_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sys_brokerkill_${randomBytes(3).toString('hex')}`;
let kafka: PrivateKafka;
let system: GatewayAndArchive | undefined;

beforeAll(async () => {
  kafka = await startPrivateKafka();
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await kafka?.destroy();
  await dropSchema(PG, schema);
}, 60_000);

it('every event answered 2xx is archived exactly once, and the gateway recovers without a restart', async () => {
  const archiveDb = { kind: 'postgres', url: PG, schema } as const;
  system = await startGatewayAndArchive({ brokers: kafka.brokers, archiveDb });
  const gatewayPid = system.gateway.pid;
  const ledger = new Ledger();
  const bodies = new Map<string, string>();
  let acceptedAfterRestart = 0;
  let restarted = false;
  const stop = { stopped: false };
  const load = steadyLoad({
    url: system.webhook,
    rate: 40,
    durationMs: 80_000,
    ledger,
    stop,
    onAnswer: (s) => {
      if (!is2xx(s.answer)) bodies.set(s.id, s.body);
      else if (restarted) acceptedAfterRestart++;
    },
  });

  await until('some events accepted', () => ledger.acceptedIds().length >= 100, 20_000);
  await kafka.kill();
  await until(
    'the gateway to refuse while Kafka is gone',
    () => ledger.notAcceptedIds().length >= 20,
    30_000,
  );
  await kafka.restart();
  restarted = true;
  await until('2xx answers again after the restart', () => acceptedAfterRestart >= 100, 45_000);
  stop.stopped = true;
  await load;

  // The same gateway process, ready again.
  expect(system.gateway.pid).toBe(gatewayPid);
  expect(system.gateway.child.exitCode).toBeNull();
  expect(await isReady(system.gateway.url)).toBe(true);

  const acceptedFirstTime = new Set(ledger.acceptedIds());
  const refused = ledger.notAcceptedIds();
  expect(refused.length).toBeGreaterThan(0);
  // Like Altinn: send what got no 2xx again.
  expect(await resendUntilAccepted(system.webhook, bodies, ledger, 30_000)).toBe(0);

  const admin = kafkaFor(kafka.brokers, 'broker-kill-check');
  await until(
    'the archive to hold every accepted event',
    async () => {
      if (!isSettled(await settlement(admin, 'archive'))) return false;
      const rows = await archivedRowsById(archiveDb);
      return ledger.acceptedIds().every((id) => rows.has(id));
    },
    60_000,
    500,
  );
  const r = ledger.reconcile(await archivedRowsById(archiveDb));
  expect(r.lost).toEqual([]);
  expect(r.duplicated).toEqual([]);
  expect(r.unexpected).toEqual([]);
  expect(r.neverAccepted).toBe(0);
  expect(r.accepted).toBe(ledger.ids().length);
  // Every event answered 2xx during the run (before any resend) is there, once.
  const rows = await archivedRowsById(archiveDb);
  expect([...acceptedFirstTime].filter((id) => rows.get(id) !== 1)).toEqual([]);
  expect((await settlement(admin, 'archive')).deadLettered).toBe(0);
}, 200_000);
