import {
  type ClusterSystem,
  type ScenarioResult,
  recordResult,
  startClusterSystem,
} from '@broker-events/cluster-bench';
import { DEFAULT_KAFKA_VERSION, LocalCluster } from '@broker-events/kafka-local';
import { dropSchema } from '@broker-events/soak';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG = process.env['CLUSTER_E2E_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Events per second during the scenarios (the bench tool uses 500). */
export const RATE = Number(process.env['CLUSTER_E2E_RATE'] ?? '150');
export const KAFKA_VERSION = process.env['KAFKA_LOCAL_VERSION'] ?? DEFAULT_KAFKA_VERSION;

/**
 * Node 1's PLAINTEXT port; each suite gets its own block so a lingering socket never blocks the next. Below
 * Linux's ephemeral range (32768-60999): a port in it can be taken at any moment as the local end of some
 * outgoing connection, and a CI run failed when a broker could not bind 51402 that way.
 */
export function basePort(offset: number): number {
  return Number(process.env['KAFKA_CLUSTER_BASE_PORT'] ?? '21400') + offset;
}

export const log = (line: string): void => {
  if (process.env['CLUSTER_E2E_VERBOSE']) process.stderr.write(`[cluster-e2e] ${line}\n`);
};

/** A private three-node cluster, the apps on it, and clean-up. */
export class ClusterRun {
  readonly tmp = mkdtempSync(join(tmpdir(), 'cluster-e2e-'));
  readonly schema = `cluster_e2e_${randomBytes(3).toString('hex')}`;
  readonly cluster: LocalCluster;
  sys?: ClusterSystem;

  constructor(portOffset: number) {
    this.cluster = new LocalCluster({
      basePort: basePort(portOffset),
      dataDir: join(this.tmp, 'kafka'),
      version: KAFKA_VERSION,
      log,
    });
  }

  async startCluster(): Promise<void> {
    await this.cluster.start();
  }

  async startSystem(archiveReplicas = 1): Promise<ClusterSystem> {
    this.sys = await startClusterSystem({
      cluster: this.cluster,
      archiveDb: { kind: 'postgres', url: PG, schema: this.schema },
      tmpDir: this.tmp,
      archiveReplicas,
    });
    return this.sys;
  }

  async destroy(): Promise<void> {
    await this.sys?.stop().catch(() => undefined);
    await this.cluster.destroy();
    await dropSchema(PG, this.schema);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Keeps the figures with the bench tool's (bench/results/cluster.md) only when asked: CI runs stay read-only. */
export function maybeRecord(r: ScenarioResult): void {
  log(JSON.stringify(r));
  if (process.env['CLUSTER_E2E_RECORD'] === '1') recordResult(r);
}

/** The assertions every scenario shares: nothing lost, nothing doubled, nothing stuck, 503s with Retry-After. */
export function expectNothingLostOrDoubled(r: ScenarioResult): void {
  expect(r.accepted).toBeGreaterThan(r.rate * 5);
  expect(r.archiveLost).toBe(0);
  expect(r.archiveDuplicated).toBe(0);
  expect(r.archiveUnexpected).toBe(0);
  expect(r.mailLost).toBe(0);
  expect(r.mailDuplicated).toBe(0);
  expect(r.neverAccepted).toBe(0);
  expect(r.deadLettered).toBe(0);
  expect(r.missingRetryAfter).toBe(0);
  // Only 2xx and 503 (with Retry-After), or no answer in 20 s on a saturated machine (counted in the figures;
  // Altinn sends such events again, as the resend above did): never a 4xx or 5xx other than 503.
  expect(Object.keys(r.answers).filter((k) => k !== '200' && k !== '503' && k !== 'error')).toEqual([]);
}
