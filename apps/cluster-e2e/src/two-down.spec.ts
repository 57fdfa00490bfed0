import { scenarioProblems, twoDown } from '@broker-events/cluster-bench';
import { isReady } from '@broker-events/soak';
import {
  ClusterRun,
  KAFKA_VERSION,
  expectNothingLostOrDoubled,
  log,
  maybeRecord,
} from './support/cluster-run';

/**
 * Two of three brokers down: with min.insync.replicas=2 Kafka cannot hold a write, so the gateway must answer
 * 503 (with Retry-After) to every event, turn not-ready, and recover by itself when one broker returns.
 */
const run = new ClusterRun(60);
const RATE = Number(process.env['CLUSTER_E2E_TWO_DOWN_RATE'] ?? '50');

beforeAll(async () => {
  await run.startCluster();
}, 240_000);

afterAll(async () => {
  await run.destroy();
}, 120_000);

it('no 2xx while two brokers are down, not-ready, and back by itself when one returns', async () => {
  const sys = await run.startSystem();
  const r = await twoDown(sys, { rate: RATE, kafkaVersion: KAFKA_VERSION, log });
  maybeRecord(r);
  expect(scenarioProblems(r)).toEqual([]);
  expect(r.facts['answeredWhileDown']).toBeGreaterThan(RATE * 10);
  expect(r.facts['accepted2xxWhileDown']).toBe(0);
  expect(r.facts['not503WhileDown']).toBe(0);
  expectNothingLostOrDoubled(r);
  expect(sys.gateway.child.exitCode).toBeNull();
  expect(await isReady(sys.gateway.url)).toBe(true);
}, 600_000);
