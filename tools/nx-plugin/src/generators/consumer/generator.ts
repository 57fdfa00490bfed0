import {
  type GeneratorCallback,
  type Tree,
  formatFiles,
  generateFiles,
  names,
  updateJson,
  writeJson,
} from '@nx/devkit';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { composeService, composeTableRow, docsSection, k8sTopics, secretCommand } from './deploy-files';
import { addExportFrom, addNamedImports, appendToArray } from './ts-edits';

export interface ConsumerGeneratorSchema {
  name: string;
  description?: string;
  port?: number;
  /** Skip filling the generated configuration table after writing (tests of the generator itself). */
  skipDocsTable?: boolean;
}

/** What the templates (./files) are filled with. */
export interface Names {
  /** `erp-sync` */
  name: string;
  /** `ErpSync` */
  className: string;
  /** `ERP_SYNC` */
  constant: string;
  /** `erpSync` */
  propertyName: string;
  description: string;
  port: number;
}

/**
 * Where app config schemas live. Apps are never imported, so what deploy-check and the docs read of an app is
 * a library: one file per app in `dir`, exported from the library's index.
 */
export const APP_CONFIG = {
  dir: 'libs/app-config/src/lib',
  index: 'libs/app-config/src/index.ts',
  importPath: '@broker-events/app-config',
} as const;

const NAME = /^[a-z][a-z0-9-]{0,48}$/;

/**
 * `nx g @broker-events/nx-plugin:consumer <name>`: a consumer app on the delivery pipeline (./files/app: a Sink,
 * a module that hands it to `pipelineProvider`, a bootstrap, a test on a real broker), its config schema in
 * the app-config library (./files/config), and every place an app must appear: docker/compose.yaml, k8s/base
 * (./files/k8s: Deployment, Service, KEDA ScaledObject, PDB, ConfigMap; its retry and DLQ KafkaTopics), the
 * overlays' images, tools/deploy-check's APPS, tools/asyncapi's consumers, and the docs.
 */
export default async function consumerGenerator(
  tree: Tree,
  schema: ConsumerGeneratorSchema,
): Promise<GeneratorCallback> {
  if (!NAME.test(schema.name))
    throw new Error(
      `Consumer name ${JSON.stringify(schema.name)}: lowercase letter first, then lowercase letters, digits and -`,
    );
  const root = `apps/${schema.name}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  if (!tree.exists(APP_CONFIG.index))
    throw new Error(`${APP_CONFIG.index} is missing (the library app config schemas live in)`);
  const n: Names = {
    name: schema.name,
    className: names(schema.name).className,
    constant: names(schema.name).constantName,
    propertyName: names(schema.name).propertyName,
    description: schema.description ?? `forwards events to ${schema.name}`,
    port: schema.port ?? freePort(tree),
  };

  const substitutions = { ...n, tmpl: '' };
  generateFiles(tree, join(__dirname, 'files/app'), root, substitutions);
  writeJson(tree, `${root}/project.json`, {
    name: n.name,
    $schema: '../../node_modules/nx/schemas/project-schema.json',
    sourceRoot: `${root}/src`,
    projectType: 'application',
    tags: tagsOf(tree, 'apps/slack/project.json'), // the same as the hand-written consumers
    targets: {},
  });
  generateFiles(tree, join(__dirname, 'files/config'), APP_CONFIG.dir, substitutions);
  addExportFrom(tree, APP_CONFIG.index, `./lib/${n.name}.config`);
  generateFiles(tree, join(__dirname, 'files/k8s'), 'k8s/base', substitutions);
  addToCompose(tree, n);
  addToK8s(tree, n);
  addToDeployCheck(tree, n);
  addToAsyncApi(tree, n);
  addToDeploymentDocs(tree, n);
  append(tree, 'docs/consumers.md', docsSection(n));
  await formatFiles(tree);

  return () => {
    if (schema.skipDocsTable) return;
    // Both come from code (the new schema, the consumers list), so they are written once the files are on disk.
    const tsx = (args: string[]): void => {
      execFileSync(join(tree.root, 'node_modules/.bin/tsx'), ['--tsconfig', 'tsconfig.base.json', ...args], {
        cwd: tree.root,
        stdio: 'inherit',
        env: { ...process.env, UPDATE_DOCS: '1' },
      });
    };
    tsx(['tools/nx-plugin/src/fill-config-table.ts', n.name]);
    tsx(['tools/asyncapi/src/cli.ts']);
  };
}

/** A project's tags, read as Nx reads project.json (updateJson that returns the document unchanged). */
function tagsOf(tree: Tree, file: string): string[] {
  let tags: string[] = [];
  updateJson<{ tags?: string[] }>(tree, file, (json) => {
    tags = json.tags ?? [];
    return json;
  });
  return tags;
}

/** The first port from 8090 that no app's config schema or compose file uses yet. */
function freePort(tree: Tree): number {
  const used = new Set<number>();
  for (const f of tree.children(APP_CONFIG.dir)) {
    const text = tree.read(`${APP_CONFIG.dir}/${f}`, 'utf-8') ?? '';
    for (const m of text.matchAll(/port: (\d{4,5})/g)) used.add(Number(m[1]));
  }
  const compose = tree.read('docker/compose.yaml', 'utf-8') ?? '';
  for (const m of compose.matchAll(/127\.0\.0\.1:(\d+):/g)) used.add(Number(m[1]));
  let port = 8090;
  while (used.has(port)) port++;
  return port;
}

function read(tree: Tree, file: string): string {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new Error(`${file} is missing`);
  return text;
}

function append(tree: Tree, file: string, text: string): void {
  tree.write(file, read(tree, file).replace(/\n*$/, '\n') + text);
}

/** Inserts `text` before the first line that matches `before` (a whole line), or fails loudly. */
function insertBefore(tree: Tree, file: string, before: RegExp, text: string): void {
  const content = read(tree, file);
  const m = before.exec(content);
  if (m === null)
    throw new Error(`${file}: found no place for the ${JSON.stringify(text.slice(0, 40))} entry`);
  tree.write(file, content.slice(0, m.index) + text + content.slice(m.index));
}

function addToCompose(tree: Tree, n: Names): void {
  insertBefore(tree, 'docker/compose.yaml', /^volumes:$/m, composeService(n));
}

function addToK8s(tree: Tree, n: Names): void {
  append(tree, 'k8s/base/topics.yaml', k8sTopics(n));
  const kustomization = 'k8s/base/kustomization.yaml';
  insertBefore(tree, kustomization, /^ {2}- topics\.yaml$/m, `  - ${n.name}.yaml\n`);
  insertBefore(
    tree,
    kustomization,
    /^\n?images:$/m,
    `  - name: ${n.name}-config\n    envs: [${n.name}.env]\n\n`.replace(/\n\n$/, '\n'),
  );
  appendImage(tree, kustomization, n, false);
  for (const overlay of tree.children('k8s/overlays')) {
    const file = `k8s/overlays/${overlay}/kustomization.yaml`;
    if (tree.exists(file) && read(tree, file).includes('broker-events-gateway'))
      appendImage(tree, file, n, true);
  }
  allowPostgresEgress(tree, n);
}

/**
 * The opt-in egress component lets the apps with a processed-events store reach PostgreSQL: the new
 * consumer has one too (IDEMPOTENCY_DATABASE_URL).
 */
function allowPostgresEgress(tree: Tree, n: Names): void {
  const file = 'k8s/components/egress/egress.yaml';
  if (!tree.exists(file)) return;
  const content = read(tree, file);
  const block = content.indexOf('name: egress-postgres');
  const list = /values: \[([^\]]*)\]/.exec(content.slice(block));
  if (block === -1 || list === null) throw new Error(`${file}: the egress-postgres app list was not found`);
  const at = block + list.index;
  const values = `values: [${list[1]}, ${n.name}]`;
  tree.write(file, content.slice(0, at) + values + content.slice(at + list[0].length));
}

/** Adds the app's image after the last entry of the `images:` list. */
function appendImage(tree: Tree, file: string, n: Names, withNewName: boolean): void {
  const content = read(tree, file);
  const start = content.indexOf('\nimages:\n');
  if (start === -1) return;
  const rest = content.slice(start + '\nimages:\n'.length);
  const end = rest.search(/^(?! |$)|^\n/m);
  const at = start + '\nimages:\n'.length + (end === -1 ? rest.length : end);
  const image = `ghcr.io/example-org/broker-events-${n.name}`;
  const entry = `  - name: ${image}\n${withNewName ? `    newName: ${image}\n` : ''}    newTag: 0.1.0\n`;
  tree.write(file, content.slice(0, at) + entry + content.slice(at));
}

/** Registers the app in deploy-check's APPS, its schema and loader imported from the app-config library. */
function addToDeployCheck(tree: Tree, n: Names): void {
  const file = 'tools/deploy-check/src/apps.ts';
  const p = n.propertyName;
  addNamedImports(tree, file, APP_CONFIG.importPath, [`load${n.className}Config`, `${p}ConfigSchema`]);
  appendToArray(
    tree,
    file,
    'APPS',
    `{ name: '${n.name}', schema: ${p}ConfigSchema, load: load${n.className}Config, requiredInCluster: ['IDEMPOTENCY_DATABASE_URL'], scaling: 'keda' }`,
  );
}

function addToAsyncApi(tree: Tree, n: Names): void {
  const description = JSON.stringify(n.description).replace(/^"|"$/g, "'");
  appendToArray(
    tree,
    'tools/asyncapi/src/consumers.ts',
    'BUILT_IN_CONSUMERS',
    `{ name: '${n.name}', groupId: '${n.name}-server', description: ${description} }`,
  );
}

function addToDeploymentDocs(tree: Tree, n: Names): void {
  const file = 'docs/deployment.md';
  const lines = read(tree, file).split('\n');
  const row = lines.findIndex((l) => l.startsWith('| `gateway`'));
  if (row === -1) throw new Error(`${file}: the compose table (a row for gateway) was not found`);
  let end = row;
  while (lines[end + 1]?.startsWith('|')) end++;
  lines.splice(end + 1, 0, composeTableRow(n).trimEnd());
  let lastSecret = -1;
  lines.forEach((l, i) => {
    if (l.includes('create secret generic')) lastSecret = i;
  });
  const fence = lines.findIndex((l, i) => i > lastSecret && l.startsWith('```'));
  if (lastSecret === -1 || fence === -1) throw new Error(`${file}: the Secrets block was not found`);
  lines.splice(fence, 0, ...secretCommand(n).trimEnd().split('\n'));
  tree.write(file, lines.join('\n'));
}
