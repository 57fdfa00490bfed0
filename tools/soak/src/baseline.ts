import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureTopics } from '@broker-events/messaging';
import { Ledger, is2xx } from './accounting';
import { steadyLoad } from './load';
import { REPO_ROOT, freePort, isReadyAt, sleep } from './processes';
import { kafkaFor } from './settlement';
import { percentile } from './soak';

export interface BaselineResult {
  rate: number;
  durationS: number;
  accepted: number;
  p50: number;
  p99: number;
}

/**
 * The soak's baseline: the bare node:http + kafkajs server of the gateway benchmark (same acks=all, idempotent
 * producer) held at the same rate on the same broker for `durationMs`, into a topic of its own, so the gateway's
 * p99 can be read beside what the machine gives a server that does nothing but produce.
 */
export async function baselineLoad(
  brokers: string,
  rate: number,
  durationMs: number,
): Promise<BaselineResult> {
  const topic = 'soak.baseline';
  await ensureTopics(kafkaFor(brokers, 'soak-baseline-admin'), [
    { topic, partitions: 12, replicationFactor: 1 },
  ]);
  const port = await freePort();
  const child = spawn(
    join(REPO_ROOT, 'node_modules/.bin/tsx'),
    [join(REPO_ROOT, 'tools/bench/src/baseline-server.ts')],
    { env: { ...process.env, KAFKA_BROKERS: brokers, PORT: String(port), TOPIC: topic }, stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const url = `http://127.0.0.1:${port}/`;
    while (!(await isReadyAt(url))) {
      if (child.exitCode !== null) throw new Error(`baseline server exited with ${child.exitCode}`);
      await sleep(50);
    }
    // Warm-up (tsx compiles the server, kafkajs connects, the JIT warms), as the gateway gets in the soak.
    await steadyLoad({ url, rate, durationMs: Math.min(10_000, durationMs / 2), ledger: new Ledger() });
    const ledger = new Ledger();
    const latencies: number[] = [];
    await steadyLoad({
      url,
      rate,
      durationMs,
      ledger,
      onAnswer: (s) => {
        if (is2xx(s.answer)) latencies.push(s.answeredAt - s.sentAt);
      },
    });
    latencies.sort((a, b) => a - b);
    return {
      rate,
      durationS: Math.round(durationMs / 1000),
      accepted: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}
