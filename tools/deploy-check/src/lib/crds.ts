import { kafkaUserProblems } from './kafka-user';
import { type Obj, arr, at, isObj } from './yaml';

/**
 * Structural checks for the custom resources (Strimzi kafka.strimzi.io/v1, KEDA keda.sh/v1alpha1), whose CRD
 * schemas are not available offline: apiVersion and kind, required fields, field types, and unknown keys in
 * the parts we write. Each returns a list of problems ([] when fine).
 */

export const STRIMZI_API = 'kafka.strimzi.io/v1';
export const KEDA_API = 'keda.sh/v1alpha1';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function unknownKeys(v: unknown, allowed: readonly string[], where: string): string[] {
  if (!isObj(v)) return [`${where} must be an object`];
  return Object.keys(v)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}.${k} is not a known field (allowed: ${allowed.join(', ')})`);
}

function int(v: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): string[] {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= max
    ? []
    : [`${where} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`];
}

function metadataProblems(o: Obj, needsCluster: boolean): string[] {
  const problems: string[] = [];
  const name = at(o, 'metadata.name');
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name))
    problems.push(`metadata.name ${JSON.stringify(name)} is not a valid resource name`);
  if (needsCluster && typeof at(o, ['metadata', 'labels', 'strimzi.io/cluster']) !== 'string')
    problems.push('metadata.labels["strimzi.io/cluster"] must name the Kafka cluster');
  return problems;
}

export function kafkaTopicProblems(o: Obj): string[] {
  const spec = at(o, 'spec');
  const problems = [
    ...metadataProblems(o, true),
    ...unknownKeys(spec, ['topicName', 'partitions', 'replicas', 'config'], 'spec'),
  ];
  if (!isObj(spec)) return problems;
  if (spec['topicName'] !== undefined && typeof spec['topicName'] !== 'string')
    problems.push('spec.topicName must be a string');
  problems.push(
    ...int(spec['partitions'], 'spec.partitions', 1),
    ...int(spec['replicas'], 'spec.replicas', 1, 32767),
  );
  const config = spec['config'];
  if (!isObj(config)) problems.push('spec.config must set at least retention.ms');
  else {
    for (const [k, v] of Object.entries(config))
      if (!['string', 'number', 'boolean'].includes(typeof v))
        problems.push(`spec.config["${k}"] must be a scalar`);
    if (!(Number(config['retention.ms']) > 0 || Number(config['retention.ms']) === -1))
      problems.push('spec.config["retention.ms"] must be a positive number of milliseconds (or -1)');
    const minIsr = config['min.insync.replicas'];
    if (
      minIsr !== undefined &&
      Number.isInteger(spec['replicas']) &&
      Number(minIsr) > (spec['replicas'] as number)
    )
      problems.push(
        `min.insync.replicas ${String(minIsr)} is above replicas ${String(spec['replicas'])}: every acks=all write would fail`,
      );
  }
  return problems;
}

const LISTENER_TYPES = ['internal', 'route', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'];

export function kafkaProblems(o: Obj): string[] {
  const spec = at(o, 'spec');
  const problems = [
    ...metadataProblems(o, false),
    ...unknownKeys(
      spec,
      [
        'kafka',
        'entityOperator',
        'clusterCa',
        'clientsCa',
        'cruiseControl',
        'kafkaExporter',
        'maintenanceTimeWindows',
      ],
      'spec',
    ),
  ];
  if (!isObj(spec)) return problems;
  const kafka = spec['kafka'];
  problems.push(
    ...unknownKeys(
      kafka,
      [
        'version',
        'metadataVersion',
        'listeners',
        'config',
        'authorization',
        'rack',
        'logging',
        'resources',
        'jvmOptions',
        'metricsConfig',
        'template',
        'brokerRackInitImage',
        'image',
        'livenessProbe',
        'readinessProbe',
        'quotas',
      ],
      'spec.kafka',
    ),
  );
  // kafka.strimzi.io/v1 has node pools only: replicas and storage live in KafkaNodePool; ZooKeeper is gone.
  const listeners = arr(at(kafka, 'listeners'));
  if (listeners.length === 0) problems.push('spec.kafka.listeners must list at least one listener');
  listeners.forEach((l, i) => {
    const where = `spec.kafka.listeners[${i}]`;
    problems.push(
      ...unknownKeys(
        l,
        ['name', 'port', 'type', 'tls', 'authentication', 'configuration', 'networkPolicyPeers'],
        where,
      ),
    );
    if (!/^[a-z0-9]{1,11}$/.test(String(at(l, 'name'))))
      problems.push(`${where}.name must be 1-11 lowercase letters or digits`);
    problems.push(...int(at(l, 'port'), `${where}.port`, 9092, 65535));
    if (!LISTENER_TYPES.includes(String(at(l, 'type'))))
      problems.push(`${where}.type must be one of ${LISTENER_TYPES.join(', ')}`);
    if (typeof at(l, 'tls') !== 'boolean') problems.push(`${where}.tls must be true or false`);
  });
  if (!isObj(at(spec, 'entityOperator.topicOperator')))
    problems.push('spec.entityOperator.topicOperator is required: the KafkaTopic resources need it');
  return problems;
}

export function kafkaNodePoolProblems(o: Obj): string[] {
  const spec = at(o, 'spec');
  const problems = [
    ...metadataProblems(o, true),
    ...unknownKeys(spec, ['replicas', 'roles', 'storage', 'resources', 'jvmOptions', 'template'], 'spec'),
  ];
  if (!isObj(spec)) return problems;
  problems.push(...int(spec['replicas'], 'spec.replicas', 0));
  const roles = arr(spec['roles']);
  if (roles.length === 0 || roles.some((r) => r !== 'controller' && r !== 'broker'))
    problems.push('spec.roles must list controller and/or broker');
  const storage = spec['storage'];
  const type = at(storage, 'type');
  if (type === 'jbod') {
    const volumes = arr(at(storage, 'volumes'));
    if (volumes.length === 0) problems.push('spec.storage.volumes must not be empty');
    volumes.forEach((v, i) => {
      problems.push(
        ...unknownKeys(
          v,
          ['id', 'type', 'size', 'class', 'deleteClaim', 'kraftMetadata'],
          `spec.storage.volumes[${i}]`,
        ),
      );
      problems.push(...int(at(v, 'id'), `spec.storage.volumes[${i}].id`, 0));
      if (!['ephemeral', 'persistent-claim'].includes(String(at(v, 'type'))))
        problems.push(`spec.storage.volumes[${i}].type must be ephemeral or persistent-claim`);
      if (at(v, 'type') === 'persistent-claim' && typeof at(v, 'size') !== 'string')
        problems.push(`spec.storage.volumes[${i}].size is required for persistent-claim`);
    });
  } else if (type !== 'ephemeral' && type !== 'persistent-claim')
    problems.push('spec.storage.type must be jbod, ephemeral or persistent-claim');
  return problems;
}

export function scaledObjectProblems(o: Obj): string[] {
  const spec = at(o, 'spec');
  const problems = [
    ...metadataProblems(o, false),
    ...unknownKeys(
      spec,
      [
        'scaleTargetRef',
        'pollingInterval',
        'cooldownPeriod',
        'initialCooldownPeriod',
        'idleReplicaCount',
        'minReplicaCount',
        'maxReplicaCount',
        'advanced',
        'triggers',
        'fallback',
      ],
      'spec',
    ),
  ];
  if (!isObj(spec)) return problems;
  if (typeof at(spec, 'scaleTargetRef.name') !== 'string')
    problems.push('spec.scaleTargetRef.name is required');
  const min = spec['minReplicaCount'] ?? 0;
  problems.push(
    ...int(min, 'spec.minReplicaCount', 0),
    ...int(spec['maxReplicaCount'], 'spec.maxReplicaCount', 1),
  );
  if (Number(min) > Number(spec['maxReplicaCount']))
    problems.push('spec.minReplicaCount is above spec.maxReplicaCount');
  for (const k of ['pollingInterval', 'cooldownPeriod'] as const)
    if (spec[k] !== undefined) problems.push(...int(spec[k], `spec.${k}`, 1));
  const triggers = arr(spec['triggers']);
  if (triggers.length === 0) problems.push('spec.triggers must not be empty');
  triggers.forEach((t, i) => {
    const where = `spec.triggers[${i}]`;
    problems.push(
      ...unknownKeys(
        t,
        ['type', 'name', 'metadata', 'authenticationRef', 'metricType', 'useCachedMetrics'],
        where,
      ),
    );
    if (typeof at(t, 'type') !== 'string') problems.push(`${where}.type is required`);
    const md = at(t, 'metadata');
    if (!isObj(md)) problems.push(`${where}.metadata is required`);
    else
      for (const [k, v] of Object.entries(md))
        if (typeof v !== 'string')
          problems.push(
            `${where}.metadata.${k} must be a string (KEDA's metadata is map[string]string), got ${JSON.stringify(v)}`,
          );
  });
  return problems;
}

/** KEDA TriggerAuthentication: Secret keys handed to a scaler as named parameters. */
function triggerAuthenticationProblems(o: Obj): string[] {
  const spec = at(o, 'spec');
  const problems = unknownKeys(spec, ['secretTargetRef', 'env', 'podIdentity'], 'spec');
  arr(at(spec, 'secretTargetRef')).forEach((r, i) => {
    const where = `spec.secretTargetRef[${i}]`;
    problems.push(...unknownKeys(r, ['parameter', 'name', 'key'], where));
    for (const k of ['parameter', 'name', 'key'])
      if (typeof at(r, k) !== 'string') problems.push(`${where}.${k} is required (a string)`);
  });
  return problems;
}

export function customResourceProblems(o: Obj): string[] {
  const key = `${String(o['apiVersion'])}/${String(o['kind'])}`;
  switch (key) {
    case `${STRIMZI_API}/KafkaTopic`:
      return kafkaTopicProblems(o);
    case `${STRIMZI_API}/Kafka`:
      return kafkaProblems(o);
    case `${STRIMZI_API}/KafkaNodePool`:
      return kafkaNodePoolProblems(o);
    case `${STRIMZI_API}/KafkaUser`: // internal subscribers (k8s/subscribers), should an overlay include them
      return kafkaUserProblems(o);
    case `${KEDA_API}/ScaledObject`:
      return scaledObjectProblems(o);
    case `${KEDA_API}/TriggerAuthentication`:
      return triggerAuthenticationProblems(o);
    default:
      throw new Error(`no structural check known for ${key}`);
  }
}
