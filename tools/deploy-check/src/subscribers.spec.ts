/**
 * k8s/subscribers: one Strimzi KafkaUser per internal subscriber (`npm run subscriber -- add <team>`). Each may
 * read the events topic and use its own groups, nothing else, and no team's groups may cover another's or ours.
 */
import { TOPICS } from '@broker-events/contracts';
import { pipelineGroupId } from '@broker-events/messaging';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMERS } from './apps';
import { customResourceProblems } from './lib/crds';
import { kafkaUserProblems, overlappingGroups } from './lib/kafka-user';
import { kindOf, nameOf, ofKind } from './lib/kustomize';
import { K8S_DIR, REPO_ROOT } from './lib/paths';
import { type Obj, arr, at, parseYamlStream } from './lib/yaml';

const render = (dir: string): Obj[] =>
  parseYamlStream(
    execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }),
    `kubectl kustomize ${dir}`,
  );

function groupsOf(users: readonly Obj[]): { owner: string; group: string }[] {
  const granted = CONSUMERS.map((c) => ({ owner: `our ${c.name}`, group: pipelineGroupId(c.name) }));
  for (const u of users)
    for (const acl of arr(at(u, 'spec.authorization.acls')))
      if (at(acl, 'resource.type') === 'group')
        granted.push({ owner: nameOf(u), group: String(at(acl, 'resource.name')) });
  return granted;
}

function addSubscriber(dir: string, ...args: string[]): string {
  return execFileSync(
    'npx',
    ['tsx', '--tsconfig', 'tsconfig.base.json', 'tools/subscribers/src/cli.ts', 'add', ...args, '--dir', dir],
    { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

describe('k8s/subscribers (KafkaUsers of internal subscribers)', () => {
  it('renders, and every KafkaUser is read-only on the events topic with its own group prefix', () => {
    const objects = render(join(K8S_DIR, 'subscribers'));
    expect(objects.filter((o) => kindOf(o) !== 'KafkaUser').map(kindOf)).toEqual([]);
    const users = ofKind(objects, 'KafkaUser');
    expect(users.map((u) => ({ user: nameOf(u), problems: kafkaUserProblems(u) }))).toEqual(
      users.map((u) => ({ user: nameOf(u), problems: [] })),
    );
    expect(overlappingGroups(groupsOf(users))).toEqual([]);
  });

  describe('what `npm run subscriber -- add` writes', () => {
    let dir: string;
    beforeAll(() => {
      dir = join(mkdtempSync(join(tmpdir(), 'subscribers-')), 'subscribers');
      cpSync(join(K8S_DIR, 'subscribers'), dir, { recursive: true });
      addSubscriber(dir, 'team-payroll');
      addSubscriber(dir, 'team-archive-sync', '--auth', 'tls');
    }, 120_000);
    afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

    it('passes these checks: exactly Read/Describe on the events topic and Read on <team>-* groups', () => {
      const users = ofKind(render(dir), 'KafkaUser');
      expect(users.map(nameOf).sort()).toEqual(expect.arrayContaining(['team-archive-sync', 'team-payroll']));
      for (const u of users)
        expect({ user: nameOf(u), problems: kafkaUserProblems(u) }).toEqual({
          user: nameOf(u),
          problems: [],
        });
      expect(overlappingGroups(groupsOf(users))).toEqual([]);
      const payroll = users.find((u) => nameOf(u) === 'team-payroll');
      expect(at(payroll, 'spec.authentication.type')).toBe('scram-sha-512');
      expect(at(payroll, 'spec.authorization.acls')).toEqual([
        {
          resource: { type: 'topic', name: TOPICS.events, patternType: 'literal' },
          operations: ['Read', 'Describe'],
          host: '*',
        },
        {
          resource: { type: 'group', name: 'team-payroll-', patternType: 'prefix' },
          operations: ['Read'],
          host: '*',
        },
      ]);
      expect(
        at(
          users.find((u) => nameOf(u) === 'team-archive-sync'),
          'spec.authentication.type',
        ),
      ).toBe('tls');
      expect(readFileSync(join(dir, 'team-payroll.handover.md'), 'utf8')).toMatch(
        /KAFKA_SASL_MECHANISM=SCRAM-SHA-512/,
      );
    });

    it('refuses a team whose groups would overlap another team’s or ours, and a bad name', () => {
      const refused = (...args: string[]): string => {
        try {
          addSubscriber(dir, ...args);
          return 'accepted';
        } catch (err) {
          return String((err as { stderr?: string }).stderr);
        }
      };
      expect(refused('team')).toMatch(/would share groups with "team-(payroll|archive-sync)-"/);
      expect(refused(CONSUMERS[0]?.name ?? 'archive')).toMatch(/would share groups/);
      expect(refused('Team_X')).toMatch(/lowercase letters/);
      expect(refused('team-payroll')).toMatch(/exists already|would share groups/);
    });
  });

  it('names every way a KafkaUser can grant more than a subscriber needs', () => {
    const user = (acls: unknown[], extra: Obj = {}): Obj => ({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: 'team-x', labels: { 'strimzi.io/cluster': 'broker-events' } },
      spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls }, ...extra },
    });
    const topic = {
      resource: { type: 'topic', name: TOPICS.events, patternType: 'literal' },
      operations: ['Read'],
    };
    const group = {
      resource: { type: 'group', name: 'team-x-', patternType: 'prefix' },
      operations: ['Read'],
    };
    expect(kafkaUserProblems(user([topic, group]))).toEqual([]);
    // The same check runs for a KafkaUser in any overlay (k8s.spec.ts checks every custom resource).
    expect(customResourceProblems(user([{ ...topic, operations: ['All'] }, group])).join()).toMatch(
      /All on topic/,
    );
    const problems = (acls: unknown[]) => kafkaUserProblems(user(acls)).join('\n');
    expect(problems([{ ...topic, operations: ['Read', 'Write'] }, group])).toMatch(
      /Write on topic is more than/,
    );
    expect(
      problems([{ ...topic, resource: { type: 'topic', name: '*', patternType: 'literal' } }, group]),
    ).toMatch(/only the topic/);
    expect(
      problems([topic, { ...group, resource: { type: 'group', name: 'archive-', patternType: 'prefix' } }]),
    ).toMatch(/prefix "team-x-"/);
    expect(
      problems([topic, { ...group, resource: { type: 'group', name: '', patternType: 'prefix' } }]),
    ).toMatch(/prefix "team-x-"/);
    expect(problems([topic, group, { resource: { type: 'cluster' }, operations: ['Describe'] }])).toMatch(
      /not for a subscriber/,
    );
    expect(problems([group])).toMatch(/no ACL lets it read/);
    expect(kafkaUserProblems(user([topic, group], { quota: 1 })).join()).toMatch(
      /spec.quota is not a known field/,
    );
    expect(
      overlappingGroups([
        { owner: 'a', group: 'team-' },
        { owner: 'b', group: 'team-x-' },
      ]),
    ).toHaveLength(1);
  });
});
