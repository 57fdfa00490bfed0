import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { LocalKafkaOptions, resolveOptions, ResolvedOptions } from './options';
import { withFileLock } from './util';

/** Pinned: a bare `dependency:` prefix picks the newest plugin, which may need a Maven newer than 3.8.7. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const COMPLETE_MARKER = '.complete';
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export const POM_FILE = path.resolve(__dirname, '..', 'pom.xml');

function isInstalled(r: ResolvedOptions): boolean {
  return fs.existsSync(path.join(r.libsDir, COMPLETE_MARKER));
}

/**
 * Downloads the broker's runtime jars from Maven Central into <cacheDir>/<version>/libs (once; later calls
 * return at once). Safe to call from several processes at the same time.
 */
export async function installKafka(opts: LocalKafkaOptions = {}): Promise<string> {
  const r = resolveOptions(opts);
  if (isInstalled(r)) return r.libsDir;
  fs.mkdirSync(r.versionDir, { recursive: true });
  await withFileLock(path.join(r.versionDir, '.install.lock'), INSTALL_TIMEOUT_MS, async () => {
    if (isInstalled(r)) return;
    await downloadJars(r);
  });
  return r.libsDir;
}

async function downloadJars(r: ResolvedOptions): Promise<void> {
  const started = Date.now();
  const tmpDir = path.join(r.versionDir, `libs.tmp-${process.pid}`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  r.log(`Downloading Apache Kafka ${r.version} (kafka_2.13 + log4j2 binding) from Maven Central with Maven.`);
  r.log(`First run only: ~45 MB of jars into ${r.libsDir}`);

  const args = [
    '-B',
    '-f',
    POM_FILE,
    `-Dkafka.version=${r.version}`,
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmpDir}`,
  ];
  const mvn = process.env['MVN'] ?? 'mvn';
  const output: string[] = [];
  let jars = 0;
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (raw: string): void => {
      // Strip ANSI colour codes some Maven setups print even in batch mode.
      // eslint-disable-next-line no-control-regex
      const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
      output.push(line);
      if (output.length > 400) output.shift();
      const downloaded = /Downloaded from \S+: (\S+\.jar) \((.*)\)/.exec(line);
      if (downloaded) {
        jars += 1;
        r.log(`  downloaded ${path.basename(downloaded[1])} (${downloaded[2]})`);
      } else if (line.startsWith('[ERROR]') || line.startsWith('[WARNING]')) {
        r.log(`  ${line}`);
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (err) =>
      reject(new Error(`Could not run Maven (${mvn}): ${err.message}. Install Maven 3.8+ or set MVN.`)),
    );
    child.once('close', (code) => resolve(code ?? 1));
  });
  if (exitCode !== 0) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(
      `Maven failed (exit ${exitCode}) downloading Apache Kafka ${r.version}.\n` +
        `Command: ${mvn} ${args.join(' ')}\n--- last Maven output ---\n${output.slice(-40).join('\n')}`,
    );
  }
  const jarFiles = fs.readdirSync(tmpDir).filter((f) => f.endsWith('.jar'));
  const coreJar = `kafka_2.13-${r.version}.jar`;
  if (!jarFiles.includes(coreJar)) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(`Maven finished but ${coreJar} is missing from ${tmpDir}`);
  }
  fs.writeFileSync(path.join(tmpDir, COMPLETE_MARKER), `${jarFiles.sort().join('\n')}\n`);
  fs.rmSync(r.libsDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, r.libsDir);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  r.log(
    `Installed Kafka ${r.version}: ${jarFiles.length} jars in ${seconds}s (Maven downloaded ${jars} jars, plugins included).`,
  );
}
