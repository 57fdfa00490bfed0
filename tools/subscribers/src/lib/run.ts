/** `npm run subscriber -- add <team> [--auth scram-sha-512|tls] [--bootstrap host:port] [--cluster name] [--dir path] [--namespace ns]` */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import {
  AUTHENTICATIONS,
  type Authentication,
  DEFAULT_BOOTSTRAP,
  DEFAULT_CLUSTER,
  type Obj,
  groupPrefix,
  handover,
  kafkaUser,
  teamNameProblem,
} from './subscriber';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const DEFAULT_DIR = join(REPO_ROOT, 'k8s', 'subscribers');

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const USAGE =
  'usage: npm run subscriber -- add <team> [--auth scram-sha-512|tls] [--bootstrap host:port] [--cluster name] [--namespace ns] [--dir path]';

/** Group ids and prefixes already granted: every KafkaUser's group ACLs in `dir`, and our own apps' groups. */
export function takenGroups(dir: string, appsDir = join(REPO_ROOT, 'apps')): string[] {
  const taken: string[] = [];
  if (existsSync(appsDir)) {
    // Our consumers use `<app>-server` (NestJS's suffix); reserve it for every app so no team can join them.
    for (const app of readdirSync(appsDir)) taken.push(`${app}-server`);
  }
  if (existsSync(dir)) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const o = doc.toJS() as Obj | null;
        if (o?.['kind'] !== 'KafkaUser') continue;
        const acls = ((o['spec'] as Obj | undefined)?.['authorization'] as Obj | undefined)?.['acls'];
        for (const acl of Array.isArray(acls) ? (acls as Obj[]) : []) {
          const r = acl['resource'] as Obj | undefined;
          if (r?.['type'] === 'group' && typeof r['name'] === 'string') taken.push(r['name']);
        }
      }
    }
  }
  return taken;
}

function flags(args: string[]): { positional: string[]; options: Map<string, string>; problems: string[] } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const problems: string[] = [];
  const known = ['--auth', '--bootstrap', '--cluster', '--dir', '--namespace'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.split('=', 2);
    if (!known.includes(name)) {
      problems.push(`unknown option ${name}`);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '') problems.push(`${name} needs a value`);
    else options.set(name, value);
  }
  return { positional, options, problems };
}

function addToKustomization(dir: string, file: string): void {
  const path = join(dir, 'kustomization.yaml');
  const doc = existsSync(path)
    ? parseDocument(readFileSync(path, 'utf8'))
    : parseDocument(
        '# One KafkaUser per internal subscriber, added by `npm run subscriber -- add <team>`.\n' +
          '# Apply in the namespace the Strimzi User Operator watches: kubectl apply -n <ns> -k k8s/subscribers\n' +
          'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n',
      );
  const current = (doc.get('resources') as { toJSON(): unknown } | undefined)?.toJSON();
  const list = Array.isArray(current) ? (current as string[]) : [];
  doc.set('resources', [...new Set([...list, file])].sort());
  writeFileSync(path, doc.toString());
}

export function runSubscriberCli(args: string[], io: Io): number {
  const { positional, options, problems } = flags(args);
  const [command, team, ...rest] = positional;
  if (command !== 'add')
    problems.push(command === undefined ? 'missing command' : `unknown command ${command}`);
  if (team === undefined) problems.push('missing team name');
  if (rest.length > 0) problems.push(`unexpected arguments: ${rest.join(' ')}`);
  const auth = options.get('--auth') ?? 'scram-sha-512';
  if (!AUTHENTICATIONS.includes(auth as Authentication))
    problems.push(`--auth must be one of ${AUTHENTICATIONS.join(', ')}, got ${JSON.stringify(auth)}`);
  const dir = resolve(options.get('--dir') ?? DEFAULT_DIR);
  if (team !== undefined) {
    const problem = teamNameProblem(team, takenGroups(dir));
    if (problem !== undefined) problems.push(problem);
    if (existsSync(join(dir, `${team}.yaml`))) problems.push(`${join(dir, `${team}.yaml`)} exists already`);
  }
  if (problems.length > 0 || team === undefined) {
    for (const p of problems) io.err(p);
    io.err(USAGE);
    return 2;
  }
  const settings = {
    team,
    authentication: auth as Authentication,
    cluster: options.get('--cluster') ?? DEFAULT_CLUSTER,
    bootstrap: options.get('--bootstrap') ?? DEFAULT_BOOTSTRAP,
  };
  mkdirSync(dir, { recursive: true });
  const manifest =
    `# Internal subscriber ${team}: may read the events topic and use groups ${groupPrefix(team)}*, nothing else.\n` +
    '# Generated by `npm run subscriber -- add`; tools/deploy-check checks it.\n' +
    stringify(kafkaUser(settings));
  writeFileSync(join(dir, `${team}.yaml`), manifest);
  addToKustomization(dir, `${team}.yaml`);
  const text = handover(settings, options.get('--namespace'));
  writeFileSync(join(dir, `${team}.handover.md`), text);
  io.out(
    `wrote ${join(dir, `${team}.yaml`)} and ${join(dir, `${team}.handover.md`)}; added it to kustomization.yaml`,
  );
  io.out('');
  io.out(text);
  return 0;
}
