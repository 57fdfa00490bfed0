import { TOPICS } from '@broker-events/contracts';
import { type Obj, arr, at, isObj } from './yaml';

/**
 * Checks a Strimzi KafkaUser of an internal subscriber (k8s/subscribers, `npm run subscriber -- add`): it may
 * read the events topic and use its own consumer groups (`<user>-*`), and nothing else. Returns the problems
 * ([] when fine).
 */
export const SUBSCRIBER_TOPIC_OPERATIONS: readonly string[] = ['Read', 'Describe'];
export const SUBSCRIBER_GROUP_OPERATIONS: readonly string[] = ['Read', 'Describe'];
const AUTH_TYPES = ['scram-sha-512', 'tls', 'tls-external'];
const USER_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function unknownKeys(v: unknown, allowed: readonly string[], where: string): string[] {
  if (!isObj(v)) return [`${where} must be an object`];
  return Object.keys(v)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}.${k} is not a known field (allowed: ${allowed.join(', ')})`);
}

export function kafkaUserProblems(o: Obj): string[] {
  const problems: string[] = [];
  const name = at(o, 'metadata.name');
  if (o['apiVersion'] !== 'kafka.strimzi.io/v1') problems.push('apiVersion must be kafka.strimzi.io/v1');
  if (typeof name !== 'string' || name.length > 40 || !USER_NAME.test(name))
    problems.push(
      `metadata.name ${JSON.stringify(name)} must be 2-40 lowercase letters, digits and single hyphens`,
    );
  if (typeof at(o, ['metadata', 'labels', 'strimzi.io/cluster']) !== 'string')
    problems.push('metadata.labels["strimzi.io/cluster"] must name the Kafka cluster');
  const spec = at(o, 'spec');
  problems.push(...unknownKeys(spec, ['authentication', 'authorization', 'quotas', 'template'], 'spec'));
  if (!AUTH_TYPES.includes(String(at(spec, 'authentication.type'))))
    problems.push(`spec.authentication.type must be one of ${AUTH_TYPES.join(', ')}`);
  if (at(spec, 'authorization.type') !== 'simple') problems.push('spec.authorization.type must be simple');
  const acls = arr(at(spec, 'authorization.acls'));
  let readsTopic = false;
  let usesGroups = false;
  acls.forEach((acl, i) => {
    const where = `spec.authorization.acls[${i}]`;
    problems.push(...unknownKeys(acl, ['resource', 'operations', 'host', 'type'], where));
    if (at(acl, 'type') !== undefined && at(acl, 'type') !== 'allow')
      problems.push(`${where}.type must be allow (deny rules are not needed: nothing else is granted)`);
    const ops = arr(at(acl, 'operations'));
    const type = at(acl, 'resource.type');
    const resName = at(acl, 'resource.name');
    const pattern = at(acl, 'resource.patternType') ?? 'literal';
    const allowed =
      type === 'topic' ? SUBSCRIBER_TOPIC_OPERATIONS : type === 'group' ? SUBSCRIBER_GROUP_OPERATIONS : [];
    if (ops.length === 0) problems.push(`${where}.operations must list at least one operation`);
    for (const op of ops)
      if (!allowed.includes(String(op)))
        problems.push(`${where}: ${String(op)} on ${String(type)} is more than a read-only subscriber needs`);
    if (type === 'topic') {
      if (resName !== TOPICS.events || pattern !== 'literal')
        problems.push(
          `${where}: a subscriber may read only the topic ${TOPICS.events} (literal), got ${String(pattern)} ${JSON.stringify(resName)}`,
        );
      else readsTopic = true;
    } else if (type === 'group') {
      if (typeof name !== 'string' || resName !== `${name}-` || pattern !== 'prefix')
        problems.push(
          `${where}: groups must be the prefix "${String(name)}-", got ${String(pattern)} ${JSON.stringify(resName)}`,
        );
      else usesGroups = true;
    } else {
      problems.push(
        `${where}: resource type ${JSON.stringify(type)} is not for a subscriber (only topic and group)`,
      );
    }
  });
  if (!readsTopic) problems.push(`no ACL lets it read ${TOPICS.events}`);
  if (!usesGroups) problems.push(`no ACL gives it its own consumer groups (prefix "${String(name)}-")`);
  return problems;
}

/** Pairs of group prefixes (or group ids) where one covers the other: one team could join the other's groups. */
export function overlappingGroups(granted: readonly { owner: string; group: string }[]): string[] {
  const out: string[] = [];
  for (const a of granted)
    for (const b of granted)
      if (a !== b && a.owner !== b.owner && b.group.startsWith(a.group))
        out.push(`${a.owner}'s groups "${a.group}*" include ${b.owner}'s "${b.group}"`);
  return out;
}
