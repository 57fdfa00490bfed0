/**
 * An internal subscriber: a team (another system) that reads the events topic with its own credentials. Each gets
 * a Strimzi KafkaUser with exactly these ACLs and nothing else:
 * - Read and Describe on the events topic (fetch records, offsets and metadata);
 * - Read on consumer groups whose id starts with `<team>-` (join, commit and fetch its own offsets).
 * So a team can read, cannot write anywhere, and cannot join (or reset) another team's or our own groups.
 */
import { TOPICS } from '@broker-events/contracts';

export const STRIMZI_API = 'kafka.strimzi.io/v1';
export const DEFAULT_CLUSTER = 'broker-events';
/** The TLS listener of the cluster (Strimzi's bootstrap Service); override with --bootstrap. */
export const DEFAULT_BOOTSTRAP = `${DEFAULT_CLUSTER}-kafka-bootstrap:9093`;

export type Authentication = 'scram-sha-512' | 'tls';
export const AUTHENTICATIONS: readonly Authentication[] = ['scram-sha-512', 'tls'];

/**
 * Team names: lowercase letters, digits and single hyphens, 2-40 characters. The KafkaUser, its Secret and the
 * SCRAM user name are all this name, and its groups are `<team>-*`.
 */
export const TEAM_NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface SubscriberOptions {
  team: string;
  authentication: Authentication;
  cluster: string;
  bootstrap: string;
}

/** The group-id prefix a team may use. */
export const groupPrefix = (team: string): string => `${team}-`;

/**
 * Why a team name cannot be used, or undefined. `taken` are the group ids and prefixes already granted (other
 * teams' prefixes and our own consumers' group ids): a new prefix must not cover any of them, nor be covered.
 */
export function teamNameProblem(team: string, taken: readonly string[]): string | undefined {
  if (team.length < 2 || team.length > 40 || !TEAM_NAME_PATTERN.test(team)) {
    return `team name ${JSON.stringify(team)} must be 2-40 lowercase letters, digits and single hyphens, starting with a letter`;
  }
  const prefix = groupPrefix(team);
  for (const other of taken) {
    if (other.startsWith(prefix) || prefix.startsWith(other)) {
      return `team ${JSON.stringify(team)} would share groups with ${JSON.stringify(other)}: its prefix ${JSON.stringify(prefix)} and that one overlap; pick another name`;
    }
  }
  return undefined;
}

export type Obj = Record<string, unknown>;

export function kafkaUser(o: SubscriberOptions): Obj {
  return {
    apiVersion: STRIMZI_API,
    kind: 'KafkaUser',
    metadata: {
      name: o.team,
      labels: {
        'strimzi.io/cluster': o.cluster,
        'app.kubernetes.io/part-of': 'broker-events',
        'app.kubernetes.io/component': 'subscriber',
      },
    },
    spec: {
      authentication: { type: o.authentication },
      authorization: {
        type: 'simple',
        acls: [
          {
            resource: { type: 'topic', name: TOPICS.events, patternType: 'literal' },
            operations: ['Read', 'Describe'],
            host: '*',
          },
          {
            resource: { type: 'group', name: groupPrefix(o.team), patternType: 'prefix' },
            operations: ['Read'],
            host: '*',
          },
        ],
      },
    },
  };
}

/** The settings to hand the team (no secret in it: it says where to read each secret). */
export function handover(o: SubscriberOptions, namespace = '<namespace>'): string {
  const scram = o.authentication === 'scram-sha-512';
  const env = [
    `KAFKA_BROKERS=${o.bootstrap}`,
    `TOPIC=${TOPICS.events}`,
    `GROUP_ID=${groupPrefix(o.team)}<purpose>   # any id starting with ${groupPrefix(o.team)}`,
    ...(scram
      ? [
          'KAFKA_SECURITY_PROTOCOL=SASL_SSL',
          'KAFKA_SASL_MECHANISM=SCRAM-SHA-512',
          `KAFKA_USERNAME=${o.team}`,
          `KAFKA_PASSWORD=<key "password" of Secret ${o.team}>`,
        ]
      : [
          'KAFKA_SECURITY_PROTOCOL=SSL',
          'KAFKA_SSL_KEYSTORE_TYPE=PKCS12',
          `KAFKA_SSL_KEYSTORE_LOCATION=/path/to/user.p12   # key "user.p12" of Secret ${o.team}`,
          `KAFKA_SSL_KEYSTORE_PASSWORD=<key "user.password" of Secret ${o.team}>`,
        ]),
    'KAFKA_SSL_TRUSTSTORE_TYPE=PEM',
    `KAFKA_SSL_TRUSTSTORE_LOCATION=/path/to/ca.crt   # key "ca.crt" of Secret ${o.cluster}-cluster-ca-cert`,
  ];
  const secretCommands = scram
    ? [`kubectl -n ${namespace} get secret ${o.team} -o jsonpath='{.data.password}' | base64 -d`]
    : [
        `kubectl -n ${namespace} get secret ${o.team} -o jsonpath='{.data.user\\.p12}' | base64 -d > user.p12`,
        `kubectl -n ${namespace} get secret ${o.team} -o jsonpath='{.data.user\\.password}' | base64 -d`,
      ];
  return [
    `# Kafka access for ${o.team}`,
    '',
    `You may read \`${TOPICS.events}\` and use consumer groups whose id starts with \`${groupPrefix(o.team)}\`.`,
    'Nothing else: you cannot write to any topic, nor join or reset any other group. Read',
    'docs/subscribing.md ("Subscribe your system") before you start.',
    '',
    `Authentication: ${scram ? 'SCRAM-SHA-512 over TLS' : 'mutual TLS (client certificate)'}.`,
    '',
    '```properties',
    ...env,
    '```',
    '',
    'For Kafka clients configured with properties (Java):',
    '',
    '```properties',
    `bootstrap.servers=${o.bootstrap}`,
    `group.id=${groupPrefix(o.team)}<purpose>`,
    'enable.auto.commit=false',
    ...(scram
      ? [
          'security.protocol=SASL_SSL',
          'sasl.mechanism=SCRAM-SHA-512',
          `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${o.team}" password="<password>";`,
        ]
      : [
          'security.protocol=SSL',
          'ssl.keystore.type=PKCS12',
          'ssl.keystore.location=/path/to/user.p12',
          'ssl.keystore.password=<user.password>',
        ]),
    'ssl.truststore.type=PEM',
    'ssl.truststore.location=/path/to/ca.crt',
    '```',
    '',
    'The operator who ran `npm run subscriber -- add` reads the secrets once the User Operator has created them:',
    '',
    '```bash',
    ...secretCommands,
    `kubectl -n ${namespace} get secret ${o.cluster}-cluster-ca-cert -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt`,
    '```',
    '',
    'Send the secrets by your usual secret channel, never in this file or a ticket.',
    '',
  ].join('\n');
}
