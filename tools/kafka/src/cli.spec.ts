/** cli.ts as a user runs it (through tsx): exec, status, and the KAFKA_BROKERS pass-through. */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kafkaStatus, killKafka } from './index';
import { freePortPair, tempDir } from './test-helpers';
import { findRepoRoot } from './util';

const repoRoot = findRepoRoot();
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const cli = path.join(__dirname, 'cli.ts');

function runCli(args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(tsx, [cli, ...args], { cwd: repoRoot, env, encoding: 'utf8', timeout: 150_000 });
}

/** The environment without the shared broker the global setup exported. */
function envWithoutBrokers(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['KAFKA_BROKERS'];
  return env;
}

describe('cli.ts', () => {
  const dataDir = tempDir('kafka-local-cli-');
  let port: number;

  beforeAll(async () => {
    port = await freePortPair();
  });

  afterAll(async () => {
    await killKafka({ port, dataDir, log: () => undefined }).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exec starts a broker, runs the command with KAFKA_BROKERS, stops the broker and returns the exit code', () => {
    // The command checks it gets this broker and that the broker really runs, then exits with 7.
    const check =
      `const net=require('net');const [h,p]=process.env.KAFKA_BROKERS.split(':');` +
      `if(process.env.KAFKA_BROKERS!=='127.0.0.1:${port}')process.exit(1);` +
      `net.connect(+p,h).on('connect',()=>process.exit(7)).on('error',()=>process.exit(2));`;
    const result = runCli(
      ['exec', '--port', String(port), '--data-dir', dataDir, '--', process.execPath, '-e', check],
      envWithoutBrokers(),
    );
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 7,
      stderr: expect.stringContaining(`KAFKA_BROKERS=127.0.0.1:${port}`),
    });
    expect(result.stderr).toMatch(/Stopping Kafka broker/);
  });

  it('status after exec says not running (exec stopped the broker it started)', async () => {
    expect((await kafkaStatus({ port, dataDir })).running).toBe(false);
    const result = runCli(
      ['status', '--port', String(port), '--data-dir', dataDir, '--json'],
      envWithoutBrokers(),
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      expect.objectContaining({ running: false, brokers: `127.0.0.1:${port}` }),
    );
  });

  it('with KAFKA_BROKERS set, exec starts nothing and passes the address and exit code through', () => {
    const result = runCli(
      [
        'exec',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--',
        process.execPath,
        '-e',
        'process.exit(process.env.KAFKA_BROKERS==="elsewhere:9092"?5:1)',
      ],
      { ...envWithoutBrokers(), KAFKA_BROKERS: 'elsewhere:9092' },
    );
    expect(result.status).toBe(5);
    expect(fs.existsSync(path.join(dataDir, 'kafka.pid'))).toBe(false);
  });

  it('with KAFKA_BROKERS set, start starts nothing', () => {
    const result = runCli(['start', '--port', String(port), '--data-dir', dataDir], {
      ...envWithoutBrokers(),
      KAFKA_BROKERS: 'elsewhere:9092',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/already set; not starting/);
    expect(fs.existsSync(path.join(dataDir, 'kafka.pid'))).toBe(false);
  });

  it('rejects an unknown command with exit code 2', () => {
    const result = runCli(['frobnicate'], envWithoutBrokers());
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Unknown command "frobnicate"/);
  });
});
