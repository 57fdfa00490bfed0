import { leaderKill, scenarioProblems } from '@broker-events/cluster-bench';
import {
  ClusterRun,
  KAFKA_VERSION,
  RATE,
  expectNothingLostOrDoubled,
  log,
  maybeRecord,
} from './support/cluster-run';

/**
 * SIGKILL of the broker leading most partitions of the events topic under steady load: leaders move, the
 * idempotent producer sees NOT_LEADER_OR_FOLLOWER and new sequences; nothing may be lost or doubled, and the
 * gateway and consumers recover with the node still down. Then the node comes back and catches up.
 */
const run = new ClusterRun(30);

beforeAll(async () => {
  await run.startCluster();
}, 240_000);

afterAll(async () => {
  await run.destroy();
}, 120_000);

it('every 2xx event archived once and mailed once; the gateway and the consumers recover with the leader gone', async () => {
  const sys = await run.startSystem();
  const r = await leaderKill(sys, { rate: RATE, kafkaVersion: KAFKA_VERSION, log });
  maybeRecord(r);
  expect(scenarioProblems(r)).toEqual([]);
  expectNothingLostOrDoubled(r);
  expect(r.facts['partitionsLed']).toBeGreaterThan(0);
  // Recovered without the killed node: 2xx again and lag caught up were both measured (not -1).
  expect(r.timings['firstAcceptedAfterKill']).toBeGreaterThanOrEqual(0);
  expect(r.timings['lagZeroAfterKill']).toBeGreaterThan(0);
  expect(sys.gateway.child.exitCode).toBeNull();
  expect(sys.archives[0].child.exitCode).toBeNull();
  expect(sys.email.child.exitCode).toBeNull();
  process.stderr.write(
    `[cluster-e2e] leader kill at ${RATE}/s: ${r.accepted} 2xx, 503 share ${(r.share503 * 100).toFixed(1)} %, ` +
      `only 2xx again after ${r.timings['only2xxAgainAfterKill']} s, lag zero after ${r.timings['lagZeroAfterKill']} s\n`,
  );
}, 600_000);
