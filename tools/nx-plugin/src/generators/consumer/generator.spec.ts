import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const source = join(__dirname, '../../../../..');
const workspace = mkdtempSync(join(tmpdir(), 'nx-plugin-consumer-'));

/** The workspace as a developer has it (tracked and new files, not ignored ones), node_modules linked. */
function copyWorkspace(): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: source,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\0')
    .filter((f) => f !== '');
  for (const file of files) {
    mkdirSync(dirname(join(workspace, file)), { recursive: true });
    try {
      cpSync(join(source, file), join(workspace, file));
    } catch {
      // listed but deleted in the working tree
    }
  }
  symlinkSync(join(source, 'node_modules'), join(workspace, 'node_modules'));
}

class NxFailed extends Error {
  constructor(
    args: string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    // The tail of the output says which target failed and why.
    super(`nx ${args.join(' ')} failed:\n${`${stdout}\n${stderr}`.slice(-6000)}`);
  }
}

function nx(...args: string[]): string {
  try {
    return execFileSync(join(workspace, 'node_modules/.bin/nx'), args, {
      cwd: workspace,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new NxFailed(args, stdout ?? '', stderr ?? '');
  }
}

const read = (file: string): string => readFileSync(join(workspace, file), 'utf8');

/** The output of an nx command that must fail. */
function failing(...args: string[]): string {
  try {
    nx(...args);
  } catch (error) {
    if (error instanceof NxFailed) return `${error.stdout}${error.stderr}`;
    throw error;
  }
  throw new Error(`nx ${args.join(' ')} succeeded`);
}

beforeAll(() => {
  copyWorkspace();
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

describe('nx g @broker-events/nx-plugin:consumer', () => {
  it('creates a consumer that builds, lints and passes its pipeline test, and puts it everywhere an app must be', () => {
    nx('g', '@broker-events/nx-plugin:consumer', 'erp-sync', '--description=sends events to the ERP');

    // Everywhere an app must appear.
    expect(read('docker/compose.yaml')).toMatch(/^ {2}erp-sync:\n {4}<<: \*app\n/m);
    expect(read('k8s/base/erp-sync.yaml')).toContain('consumerGroup: erp-sync-server');
    expect(read('k8s/base/kustomization.yaml')).toMatch(/- erp-sync\.yaml[\s\S]*envs: \[erp-sync\.env\]/);
    expect(read('k8s/base/topics.yaml')).toContain('topicName: altinn.broker.dlq.v1.erp-sync');
    expect(read('k8s/overlays/production/kustomization.yaml')).toContain('broker-events-erp-sync');
    expect(read('k8s/components/egress/egress.yaml')).toMatch(/values: \[archive, [^\]]*, erp-sync\]/);
    const deployCheck = read('tools/deploy-check/src/apps.ts');
    expect(deployCheck).toContain("name: 'erp-sync'");
    // Registered by a plain import from the app-config library, never by reaching into the app.
    expect(deployCheck).not.toContain('apps/erp-sync');
    expect(deployCheck).not.toContain('eslint-disable');
    expect(read('libs/app-config/src/index.ts')).toContain("export * from './lib/erp-sync.config';");
    expect(read('apps/erp-sync/src/app/app.module.ts')).toMatch(
      /pipelineProvider\(\{[\s\S]*sink: ErpSyncSink/,
    );
    expect(read('tools/asyncapi/src/consumers.ts')).toContain("groupId: 'erp-sync-server'");
    expect(read('docs/asyncapi.yaml')).toContain('erp-sync-server');
    expect(read('docs/consumers.md')).toMatch(/^## erp-sync$/m);
    expect(read('docs/configuration.md')).toMatch(/<!-- config:erp-sync:start -->\n\| variable \|/);
    expect(read('docs/deployment.md')).toMatch(/^\| `erp-sync` \|/m);

    // The generated app on its own: webpack build, lint, and its test (the pipeline on Kafka); its config in the
    // app-config library: lint (module boundaries, no cycle) and tests (the generated table, the loader).
    nx('run-many', '-t', 'build', 'lint', 'test', '-p', 'erp-sync', '--parallel=2', '--outputStyle=stream');
    nx('run-many', '-t', 'lint', 'test', '-p', 'app-config', '--parallel=2', '--outputStyle=stream');
    nx('lint', 'deploy-check', '--outputStyle=stream');
    // And the deployment checks accept its compose service, manifests, topics, Secret and docs.
    nx('test', 'deploy-check', '--outputStyle=stream');
  });

  it('refuses a name the topic grammar does not allow, and an app that exists', () => {
    expect(failing('g', '@broker-events/nx-plugin:consumer', 'ERP', '--dry-run')).toMatch(/ERP/);
    expect(failing('g', '@broker-events/nx-plugin:consumer', 'archive', '--dry-run')).toContain(
      'apps/archive already exists',
    );
  });
});
