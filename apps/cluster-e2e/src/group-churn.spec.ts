import { groupChurn, scenarioProblems } from '@broker-events/cluster-bench';
import {
  ClusterRun,
  KAFKA_VERSION,
  RATE,
  expectNothingLostOrDoubled,
  log,
  maybeRecord,
} from './support/cluster-run';

/** One of two archive replicas SIGKILLed mid-batch and a new one started under load: a rebalance mid-batch. */
const run = new ClusterRun(90);

beforeAll(async () => {
  await run.startCluster();
}, 240_000);

afterAll(async () => {
  await run.destroy();
}, 120_000);

it('no archive row lost and none doubled when the group changes under load', async () => {
  const sys = await run.startSystem(2);
  const r = await groupChurn(sys, { rate: RATE, kafkaVersion: KAFKA_VERSION, log });
  maybeRecord(r);
  expect(scenarioProblems(r)).toEqual([]);
  expectNothingLostOrDoubled(r);
  expect(sys.archives[1].child.exitCode).toBeNull();
}, 600_000);
