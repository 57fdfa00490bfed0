import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Schema, loadConfig } from '@broker-events/config';
import { TOPICS, allTopics, parseTopicName } from '@broker-events/contracts';
import { pipelineGroupId } from '@broker-events/messaging';
import {
  APPS,
  CONSUMERS,
  type DeployedApp,
  HEALTH_PATHS,
  IMAGE_ENV,
  NODE_UID,
  RUNTIME_VARIABLES,
  isConsumer,
} from './apps';
import { STRIMZI_API, KEDA_API, customResourceProblems } from './lib/crds';
import { builtInSchemaProblems, hasBuiltInSchema } from './lib/k8s-schemas';
import { type ContainerEnv, containerEnv, envSchemaProblems } from './lib/k8s-env';
import { find, idOf, kindOf, nameOf, ofKind, renderOverlay } from './lib/kustomize';
import { loadComposeStack } from './lib/compose-stack';
import { K8S_DIR, REPO_ROOT, overlayNames } from './lib/paths';
import { type Obj, arr, at, isObj, parseYaml, parseYamlStream } from './lib/yaml';

/** What each overlay must be. A new overlay needs an entry here (the first test says so). */
interface OverlayExpectation {
  namespace: string;
  podSecurity: 'restricted' | 'baseline';
  /** The Altinn environment the overlay talks to (ALTINN_ENVIRONMENT of every app that has one). */
  altinn: 'tt02' | 'production';
  /** Altinn Events pushes from one static address per environment (shared/altinn REFERENCE §1). */
  altinnSourceCidrs: string[];
}

const OVERLAYS: Record<string, OverlayExpectation> = {
  tt02: {
    namespace: 'broker-events-tt02',
    podSecurity: 'restricted',
    altinn: 'tt02',
    altinnSourceCidrs: ['20.100.24.41/32'],
  },
  production: {
    namespace: 'broker-events',
    podSecurity: 'restricted',
    altinn: 'production',
    altinnSourceCidrs: ['20.100.46.139/32'],
  },
  'own-kafka': {
    namespace: 'broker-events-dev',
    podSecurity: 'baseline',
    altinn: 'tt02',
    altinnSourceCidrs: ['20.100.24.41/32'],
  },
};

/**
 * The first Strimzi release that runs each Kafka minor (strimzi.io/downloads). A Kafka version missing here
 * makes the own-kafka check fail: look the Strimzi release up and add it.
 */
const STRIMZI_FOR_KAFKA: Record<string, string> = { '4.3': '1.2' };

/** KEDA's names for the apps' KAFKA_SASL_MECHANISM values. */
const KEDA_SASL: Record<string, string> = {
  plain: 'plaintext',
  'scram-sha-256': 'scram_sha256',
  'scram-sha-512': 'scram_sha512',
};

/** Does every KEDA Kafka trigger of the app connect as the app does (SASL mechanism, TLS, same Secret keys)? */
function kedaAuthProblems(objects: readonly Obj[], app: DeployedApp): string[] {
  const container = arr(at(find(objects, 'Deployment', app.name), 'spec.template.spec.containers'))[0];
  const env = containerEnv(container, objects);
  const mechanism = env.values['KAFKA_SASL_MECHANISM'];
  const tls = env.values['KAFKA_SSL'] === 'true' ? 'enable' : 'disable';
  const problems: string[] = [];
  for (const s of ofKind(objects, 'ScaledObject').filter(
    (x) => at(x, 'spec.scaleTargetRef.name') === app.name,
  ))
    for (const t of arr(at(s, 'spec.triggers')).filter((x) => at(x, 'type') === 'kafka')) {
      const sasl = String(at(t, 'metadata.sasl') ?? 'none');
      const wanted = mechanism ? (KEDA_SASL[mechanism] ?? `? ${mechanism}`) : 'none';
      if (sasl !== wanted) problems.push(`${app.name}: KEDA sasl ${sasl}, the app ${wanted}`);
      const kedaTls = String(at(t, 'metadata.tls') ?? 'disable');
      if (kedaTls !== tls) problems.push(`${app.name}: KEDA tls ${kedaTls}, the app ${tls}`);
      if (!mechanism) continue;
      const auth = find(objects, 'TriggerAuthentication', String(at(t, 'authenticationRef.name')));
      if (!auth) {
        problems.push(`${app.name}: no TriggerAuthentication for the trigger's credentials`);
        continue;
      }
      for (const [parameter, variable] of [
        ['username', 'KAFKA_SASL_USERNAME'],
        ['password', 'KAFKA_SASL_PASSWORD'],
      ] as const) {
        const ref = arr(at(auth, 'spec.secretTargetRef')).find((r) => at(r, 'parameter') === parameter);
        const appRef = env.secrets[variable];
        if (!appRef || at(ref, 'name') !== appRef.secret || at(ref, 'key') !== appRef.key)
          problems.push(
            `${app.name}: KEDA's ${parameter} is ${String(at(ref, 'name'))}/${String(at(ref, 'key'))}, the app's ${variable} ${appRef ? `${appRef.secret}/${appRef.key}` : 'is not from a Secret'}`,
          );
      }
    }
  return problems;
}

const overlays = overlayNames();
const compose = loadComposeStack();
const composeKafkaImage = String(at(compose.services['kafka'], 'image'));

it('every overlay under k8s/overlays is known to this spec (and there are overlays)', () => {
  expect(overlays).toEqual(Object.keys(OVERLAYS).sort());
});

/** Pod labels → does `selector.matchLabels` select them? */
function selects(selector: unknown, labels: unknown): boolean {
  const match = at(selector, 'matchLabels');
  if (!isObj(match) || Object.keys(match).length === 0 || !isObj(labels)) return false;
  const expressionsHold = arr(at(selector, 'matchExpressions')).every((e) => {
    const value = labels[String(at(e, 'key'))];
    const values = arr(at(e, 'values'));
    switch (at(e, 'operator')) {
      case 'In':
        return values.includes(value);
      case 'NotIn':
        return !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return expressionsHold && Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** A URL setting that names a Service of the overlay, and where it lands: the Deployment and its container port. */
interface InClusterTarget {
  variable: string;
  url: URL;
  service: Obj | undefined;
  servicePort: Obj | undefined;
  deployment: Obj | undefined;
  containerPort: number | undefined;
}

/**
 * The settings of `config` whose URL host is a Service of the namespace (`name`, `name.<ns>`, `name.<ns>.svc`,
 * `name.<ns>.svc.cluster.local`), resolved to the port the backing container listens on.
 */
function inClusterTargets(
  config: Record<string, unknown>,
  objects: readonly Obj[],
  namespace: string,
): InClusterTarget[] {
  const out: InClusterTarget[] = [];
  for (const [variable, value] of Object.entries(config)) {
    if (typeof value !== 'string' || !/^https?:\/\//.test(value)) continue;
    const url = new URL(value);
    const m = new RegExp(`^([a-z0-9-]+)(\\.${namespace}(\\.svc(\\.cluster\\.local)?)?)?$`).exec(url.hostname);
    if (!m) continue;
    const service = find(objects, 'Service', m[1]);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const servicePort = arr(at(service, 'spec.ports')).find((p) => at(p, 'port') === port) as Obj | undefined;
    const deployment = ofKind(objects, 'Deployment').find((d) =>
      selects({ matchLabels: at(service, 'spec.selector') }, at(d, 'spec.template.metadata.labels')),
    );
    const container = arr(at(deployment, 'spec.template.spec.containers'))[0];
    const target = at(servicePort, 'targetPort');
    const containerPort =
      typeof target === 'number'
        ? target
        : (arr(at(container, 'ports')).find((cp) => at(cp, 'name') === target) as Obj | undefined)?.[
            'containerPort'
          ];
    out.push({
      variable,
      url,
      service,
      servicePort,
      deployment,
      containerPort: typeof containerPort === 'number' ? containerPort : undefined,
    });
  }
  return out;
}

/**
 * Does some NetworkPolicy of `policies` let pods labelled `fromLabels` (same namespace) into the pods of
 * Deployment `to` on container port `port`?
 */
function admits(policies: readonly Obj[], fromLabels: unknown, to: Obj | undefined, port: number): boolean {
  const toLabels = at(to, 'spec.template.metadata.labels');
  const ports = arr(at(to, ['spec', 'template', 'spec', 'containers', 0, 'ports']));
  const portOf = (p: unknown): unknown =>
    typeof p === 'number'
      ? p
      : at(
          ports.find((cp) => at(cp, 'name') === p),
          'containerPort',
        );
  const peerSelects = (peer: unknown): boolean => {
    if (at(peer, 'namespaceSelector') !== undefined || at(peer, 'ipBlock') !== undefined) return false;
    const selector = at(peer, 'podSelector');
    return isObj(selector) && (Object.keys(selector).length === 0 || selects(selector, fromLabels));
  };
  return policies.some(
    (p) =>
      selects(at(p, 'spec.podSelector'), toLabels) &&
      arr(at(p, 'spec.ingress')).some(
        (rule) =>
          // No ports: every port; no from: every source.
          (at(rule, 'ports') === undefined ||
            arr(at(rule, 'ports')).some((rp) => portOf(at(rp, 'port')) === port)) &&
          (at(rule, 'from') === undefined || arr(at(rule, 'from')).some(peerSelects)),
      ),
  );
}

function topicName(t: Obj): string {
  return String(at(t, 'spec.topicName') ?? nameOf(t));
}

describe.each(overlays)('k8s/overlays/%s', (overlay) => {
  const expected = OVERLAYS[overlay];
  const objects = renderOverlay(overlay);
  const deployments = ofKind(objects, 'Deployment');
  const topics = ofKind(objects, 'KafkaTopic');
  const envCache = new Map<string, { env: ContainerEnv; config: Record<string, unknown> }>();

  /** The app's container environment and the config it would load (Secret-backed variables left out). */
  function appEnv(app: DeployedApp): { env: ContainerEnv; config: Record<string, unknown> } {
    const cached = envCache.get(app.name);
    if (cached) return cached;
    const container = arr(at(find(objects, 'Deployment', app.name), 'spec.template.spec.containers'))[0];
    const env = containerEnv(container, objects);
    const known: Schema = Object.fromEntries(Object.entries(app.schema).filter(([n]) => !(n in env.secrets)));
    let config: Record<string, unknown> = {};
    try {
      config = loadConfig(app.name, known, { ...IMAGE_ENV, ...env.values }) as Record<string, unknown>;
    } catch {
      // reported by the schema test below
    }
    const out = { env, config };
    envCache.set(app.name, out);
    return out;
  }

  it('renders only objects with a schema, each valid against it', () => {
    const problems: string[] = [];
    for (const o of objects) {
      if (hasBuiltInSchema(o)) problems.push(...builtInSchemaProblems(o).map((p) => `${idOf(o)}: ${p}`));
      else if (String(o['apiVersion']) === STRIMZI_API || String(o['apiVersion']) === KEDA_API)
        problems.push(...customResourceProblems(o).map((p) => `${idOf(o)}: ${p}`));
      else problems.push(`${idOf(o)}: no schema or structural check for this kind`);
    }
    expect(problems).toEqual([]);
  });

  it('puts everything in its namespace, which enforces Pod Security', () => {
    const ns = find(objects, 'Namespace', expected.namespace);
    expect(at(ns, ['metadata', 'labels', 'pod-security.kubernetes.io/enforce'])).toBe(expected.podSecurity);
    for (const o of objects)
      if (kindOf(o) !== 'Namespace')
        expect([idOf(o), at(o, 'metadata.namespace')]).toEqual([idOf(o), expected.namespace]);
  });

  it('commits no Secret objects (apps read theirs key by key from Secrets made in the cluster)', () => {
    expect(ofKind(objects, 'Secret').map(idOf)).toEqual([]);
  });

  it('deploys exactly the apps of apps.ts', () => {
    expect(deployments.map(nameOf).sort()).toEqual(APPS.map((a) => a.name).sort());
  });

  it('has a default-deny ingress NetworkPolicy', () => {
    const denyAll = ofKind(objects, 'NetworkPolicy').filter(
      (p) =>
        isObj(at(p, 'spec.podSelector')) &&
        Object.keys(at(p, 'spec.podSelector') as Obj).length === 0 &&
        arr(at(p, 'spec.policyTypes')).includes('Ingress') &&
        at(p, 'spec.ingress') === undefined,
    );
    expect(denyAll).toHaveLength(1);
  });

  it("lets the Ingress controller reach cert-manager's HTTP-01 solver despite the default deny", () => {
    const controllerPeers = ofKind(objects, 'NetworkPolicy').filter(
      (p) => at(p, ['spec', 'podSelector', 'matchLabels', 'acme.cert-manager.io/http01-solver']) === 'true',
    );
    expect(controllerPeers).toHaveLength(1);
    const rule = arr(at(controllerPeers[0], 'spec.ingress'))[0];
    expect(arr(at(rule, 'ports')).map((p) => at(p, 'port'))).toEqual([8089]);
    // The same peers as the gateway's own policy: wherever the controller runs.
    const gatewayPolicy = find(objects, 'NetworkPolicy', 'gateway-from-ingress-controller');
    expect(at(rule, 'from')).toEqual(at(gatewayPolicy, ['spec', 'ingress', 0, 'from']));
  });

  it('has Ingresses only for the apps that are public (a webhook path or a web UI)', () => {
    const publicApps = APPS.filter((a) => a.publicPath !== undefined || a.publicUrlVariable !== undefined);
    const backends = ofKind(objects, 'Ingress').flatMap((i) =>
      arr(at(i, 'spec.rules')).flatMap((r) =>
        arr(at(r, 'http.paths')).map((p) => String(at(p, 'backend.service.name'))),
      ),
    );
    expect([...new Set(backends)].sort()).toEqual(publicApps.map((a) => a.name).sort());
  });

  describe.each(APPS.map((a) => [a.name, a] as const))('%s', (name, app) => {
    const deployment = find(objects, 'Deployment', name) ?? {};
    const podSpec = at(deployment, 'spec.template.spec');
    const podLabels = at(deployment, 'spec.template.metadata.labels');
    const containers = arr(at(podSpec, 'containers'));
    const container = containers[0];
    const port = (): number => Number(appEnv(app).config['PORT']);
    /** Where /health and /metrics are served: METRICS_PORT (the gateway's and the console's) or PORT. */
    const healthPort = (): number => Number(appEnv(app).config['METRICS_PORT'] ?? appEnv(app).config['PORT']);
    /** A probe/Service port (number or container port name) → container port number. */
    const containerPort = (p: unknown): number | undefined =>
      typeof p === 'number'
        ? p
        : ((arr(at(container, 'ports')).find((cp) => at(cp, 'name') === p) as Obj | undefined)?.[
            'containerPort'
          ] as number | undefined);
    const autoscaledBy = [
      ...ofKind(objects, 'HorizontalPodAutoscaler'),
      ...ofKind(objects, 'ScaledObject'),
    ].filter(
      (a) =>
        at(a, 'spec.scaleTargetRef.name') === name &&
        (at(a, 'spec.scaleTargetRef.kind') ?? 'Deployment') === 'Deployment',
    );

    it("takes its image from the overlay's own images: list (one entry, the one place to set it)", () => {
      const kustomization = parseYaml(
        readFileSync(join(K8S_DIR, 'overlays', overlay, 'kustomization.yaml'), 'utf8'),
        overlay,
      );
      const entries = arr(at(kustomization, 'images')).filter((i) =>
        String(at(i, 'name')).endsWith(`/broker-events-${name}`),
      );
      expect(entries).toHaveLength(1);
      const e = entries[0];
      const ref = String(at(e, 'newName') ?? at(e, 'name'));
      const digest = at(e, 'digest');
      expect(at(container, 'image')).toBe(
        digest ? `${ref}@${String(digest)}` : `${ref}:${String(at(e, 'newTag'))}`,
      );
    });

    it('runs one container of the broker-events-<app> image, pinned to a tag', () => {
      expect(containers).toHaveLength(1);
      expect(at(container, 'name')).toBe(name);
      expect(String(at(container, 'image'))).toMatch(
        new RegExp(`^[\\w.-]+(:\\d+)?/[\\w./-]+/broker-events-${name}(:[\\w.-]+|@sha256:[a-f0-9]{64})$`),
      );
      expect(String(at(container, 'image'))).not.toMatch(/:latest$/);
      expect(at(deployment, 'spec.selector.matchLabels')).toEqual({ 'app.kubernetes.io/name': name });
      for (const label of [
        'app.kubernetes.io/name',
        'app.kubernetes.io/part-of',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/component',
      ])
        expect([label, isObj(podLabels) && typeof podLabels[label] === 'string']).toEqual([label, true]);
    });

    it('is hardened: non-root (the image user), read-only root, no capabilities, no privilege escalation, seccomp', () => {
      expect(at(podSpec, 'securityContext.runAsNonRoot')).toBe(true);
      expect(at(podSpec, 'securityContext.runAsUser')).toBe(NODE_UID);
      expect(at(podSpec, 'securityContext.seccompProfile.type')).toBe('RuntimeDefault');
      expect(at(podSpec, 'automountServiceAccountToken')).toBe(false);
      expect(at(podSpec, 'hostNetwork') ?? false).toBe(false);
      expect(at(container, 'securityContext.readOnlyRootFilesystem')).toBe(true);
      expect(at(container, 'securityContext.allowPrivilegeEscalation')).toBe(false);
      expect(at(container, 'securityContext.privileged') ?? false).toBe(false);
      expect(at(container, 'securityContext.capabilities.drop')).toEqual(['ALL']);
      expect(at(container, 'securityContext.capabilities.add')).toBeUndefined();
      // With a read-only root, /tmp must be a volume.
      expect(arr(at(container, 'volumeMounts')).map((m) => at(m, 'mountPath'))).toContain('/tmp');
    });

    it("environment satisfies the app's config schema; secrets come from Secrets", () => {
      const { env } = appEnv(app);
      // kafka-config is one ConfigMap for every app: an app that never creates topics (no KAFKA_CREATE_TOPICS in
      // its schema) gets that line too, and ignores it.
      const sharedKafka = 'KAFKA_CREATE_TOPICS' in app.schema ? [] : ['KAFKA_CREATE_TOPICS'];
      expect(
        envSchemaProblems(env, app.schema, {
          requiredInCluster: app.requiredInCluster,
          runtimeVariables: [...RUNTIME_VARIABLES, ...sharedKafka],
        }),
      ).toEqual([]);
      expect(Object.keys(appEnv(app).config)).not.toHaveLength(0);
      // The app's own loader (cross-variable checks, JSON settings) on the full environment: Secret-backed
      // variables take the sample values of docker/.env.example, which compose.spec.ts proves valid.
      const standIns = { ...compose.env(name), ...app.secretSamples?.() };
      const samples = Object.fromEntries(Object.keys(env.secrets).map((n) => [n, standIns[n]]));
      expect(() => app.load({ ...IMAGE_ENV, ...samples, ...env.values })).not.toThrow();
      // Strimzi owns the topics.
      if ('KAFKA_CREATE_TOPICS' in app.schema) expect(appEnv(app).config['KAFKA_CREATE_TOPICS']).toBe(false);
      else expect(env.values['KAFKA_CREATE_TOPICS']).toBe('false');
      if ('ALTINN_ENVIRONMENT' in app.schema)
        expect(appEnv(app).config['ALTINN_ENVIRONMENT']).toBe(expected.altinn);
    });

    it('listens on the port its probes, container port and Service use; probes hit the real health paths', () => {
      expect(containerPort('http')).toBe(port());
      expect(at(container, 'livenessProbe.httpGet.path')).toBe(HEALTH_PATHS.live);
      expect(at(container, 'readinessProbe.httpGet.path')).toBe(HEALTH_PATHS.ready);
      expect(at(container, 'startupProbe.httpGet.path')).toBe(HEALTH_PATHS.live);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'])
        expect([probe, containerPort(at(container, [probe, 'httpGet', 'port']))]).toEqual([
          probe,
          healthPort(),
        ]);
      const service = find(objects, 'Service', name);
      expect(selects({ matchLabels: at(service, 'spec.selector') }, podLabels)).toBe(true);
      for (const p of arr(at(service, 'spec.ports')))
        expect([port(), healthPort()]).toContain(containerPort(at(p, 'targetPort')));
    });

    it('keeps its persistent folders on a PersistentVolumeClaim of the overlay', () => {
      const { config } = appEnv(app);
      if ((app.persistentDirs?.(config) ?? []).length > 0)
        // Without it, the kubelet re-chowns every file of the volume to fsGroup on each start: minutes on a
        // large volume, during which the pod is not started.
        expect(at(podSpec, 'securityContext.fsGroupChangePolicy')).toBe('OnRootMismatch');
      for (const variable of app.persistentDirs?.(config) ?? []) {
        const dir = String(config[variable]);
        expect([variable, dir.startsWith('/')]).toEqual([variable, true]); // not relative to the image's workdir
        const mount = arr(at(container, 'volumeMounts')).find(
          (m) => dir === at(m, 'mountPath') || dir.startsWith(`${String(at(m, 'mountPath'))}/`),
        );
        const volume = arr(at(podSpec, 'volumes')).find((v) => at(v, 'name') === at(mount, 'name'));
        const claim = at(volume, 'persistentVolumeClaim.claimName');
        expect([variable, typeof claim]).toEqual([variable, 'string']);
        expect([variable, at(mount, 'readOnly') ?? false]).toEqual([variable, false]);
        const pvc = find(objects, 'PersistentVolumeClaim', String(claim));
        expect(pvc).toBeDefined();
        // Several replicas mount it at once unless the app runs alone.
        if (app.scaling !== 'singleton') expect(at(pvc, 'spec.accessModes')).toContain('ReadWriteMany');
      }
    });

    it('has requests and limits, and time to shut down gracefully', () => {
      for (const path of ['resources.requests.cpu', 'resources.requests.memory', 'resources.limits.memory'])
        expect([path, typeof at(container, path)]).toEqual([path, 'string']);
      const grace = Number(at(podSpec, 'terminationGracePeriodSeconds') ?? 30) * 1000;
      expect(grace).toBeGreaterThan(Number(appEnv(app).config['SHUTDOWN_GRACE_MS']));
    });

    it(`replicas: ${app.scaling}; a PodDisruptionBudget keeps voluntary evictions in check`, () => {
      const kinds = autoscaledBy.map(kindOf).sort();
      if (app.scaling === 'singleton') {
        expect(kinds).toEqual([]);
        expect(at(deployment, 'spec.replicas')).toBe(1);
        expect(at(deployment, 'spec.strategy.type')).toBe('Recreate'); // never two at once, not even in a rollout
      } else {
        expect(kinds).toEqual([app.scaling === 'hpa' ? 'HorizontalPodAutoscaler' : 'ScaledObject']);
        expect(at(deployment, 'spec.replicas')).toBeUndefined(); // the autoscaler owns it; apply must not reset it
      }
      expect(
        ofKind(objects, 'PodDisruptionBudget')
          .filter((p) => selects(at(p, 'spec.selector'), podLabels))
          .map(idOf),
      ).toHaveLength(1);
    });

    it('accepts ingress only through a NetworkPolicy that names its port', () => {
      const allowing = ofKind(objects, 'NetworkPolicy').filter(
        (p) => selects(at(p, 'spec.podSelector'), podLabels) && arr(at(p, 'spec.ingress')).length > 0,
      );
      expect(allowing.length).toBeGreaterThan(0);
      for (const p of allowing)
        for (const rule of arr(at(p, 'spec.ingress'))) {
          expect(arr(at(rule, 'ports')).length).toBeGreaterThan(0); // no rule that opens every port
          for (const rp of arr(at(rule, 'ports')))
            expect([port(), healthPort()]).toContain(containerPort(at(rp, 'port')));
        }
    });

    it('reaches the in-cluster Services its URL settings name: a port they serve, admitted by their NetworkPolicies', () => {
      const { config } = appEnv(app);
      for (const t of inClusterTargets(config, objects, expected.namespace)) {
        expect([t.variable, t.service !== undefined, t.servicePort !== undefined]).toEqual([
          t.variable,
          true,
          true,
        ]);
        expect([t.variable, t.url.protocol]).toEqual([t.variable, 'http:']); // in-cluster: no TLS at the Service
        expect([t.variable, t.containerPort]).toEqual([t.variable, expect.any(Number)]);
        expect([
          t.variable,
          admits(ofKind(objects, 'NetworkPolicy'), podLabels, t.deployment, Number(t.containerPort)),
        ]).toEqual([t.variable, true]);
      }
    });

    if (app.secretsInCluster !== undefined) {
      const secrets = app.secretsInCluster;
      it(`reads ${secrets.join(', ')} from Secret keys (not optional), never from a ConfigMap or literal`, () => {
        const { env } = appEnv(app);
        for (const v of secrets) {
          expect([v, env.secrets[v]?.optional]).toEqual([v, false]);
          expect([v, env.committed[v]]).toEqual([v, undefined]);
        }
        // …nor from the env file the ConfigMap is generated from, even where a Secret would shadow it.
        const envFile = readFileSync(join(K8S_DIR, 'base', `${name}.env`), 'utf8');
        for (const v of secrets) expect([v, new RegExp(`^\\s*${v}=`, 'm').test(envFile)]).toEqual([v, false]);
      });
    }

    if (app.publicUrlVariable !== undefined) {
      const variable = app.publicUrlVariable;
      it(`is served over TLS at ${variable}: one Ingress for that host routes every path to it`, () => {
        const publicUrl = new URL(String(appEnv(app).config[variable]));
        expect(publicUrl.protocol).toBe('https:');
        const ingresses = ofKind(objects, 'Ingress').filter((i) =>
          arr(at(i, 'spec.rules')).some((r) =>
            arr(at(r, 'http.paths')).some((p) => at(p, 'backend.service.name') === name),
          ),
        );
        expect(ingresses.map(nameOf)).toEqual([name]);
        const ingress = ingresses[0];
        expect(at(ingress, ['metadata', 'annotations', 'cert-manager.io/cluster-issuer'])).toEqual(
          expect.any(String),
        );
        const rules = arr(at(ingress, 'spec.rules'));
        expect(rules.map((r) => at(r, 'host'))).toEqual([publicUrl.hostname]);
        expect(arr(at(ingress, 'spec.tls')).flatMap((t) => arr(at(t, 'hosts')))).toContain(
          publicUrl.hostname,
        );
        const paths = arr(at(rules[0], 'http.paths'));
        expect(paths.map((p) => [at(p, 'path'), at(p, 'pathType')])).toEqual([
          [publicUrl.pathname, 'Prefix'],
        ]);
        const service = find(objects, 'Service', String(at(paths[0], 'backend.service.name')));
        const sp = arr(at(service, 'spec.ports')).find(
          (x) => at(x, 'name') === at(paths[0], 'backend.service.port.name'),
        );
        expect(containerPort(at(sp, 'targetPort'))).toBe(port());
        // Not on the host Altinn pushes to (that one allow-lists Altinn's address alone).
        for (const other of ofKind(objects, 'Ingress').filter((i) => nameOf(i) !== name))
          for (const r of arr(at(other, 'spec.rules'))) expect(at(r, 'host')).not.toBe(publicUrl.hostname);
      });

      it("admits only the Ingress controller (the gateway's peers) and Prometheus: no pod of the namespace", () => {
        const controller = at(find(objects, 'NetworkPolicy', 'gateway-from-ingress-controller'), [
          'spec',
          'ingress',
          0,
          'from',
        ]);
        const monitoring = at(find(objects, 'NetworkPolicy', 'metrics-from-monitoring'), [
          'spec',
          'ingress',
          0,
          'from',
        ]);
        expect(arr(controller).length).toBeGreaterThan(0);
        const own = find(objects, 'NetworkPolicy', `${name}-from-ingress-controller`);
        expect(at(own, ['spec', 'ingress', 0, 'from'])).toEqual(controller);
        const admitting = ofKind(objects, 'NetworkPolicy').filter((p) =>
          selects(at(p, 'spec.podSelector'), podLabels),
        );
        for (const p of admitting)
          for (const rule of arr(at(p, 'spec.ingress')))
            expect([nameOf(p), [controller, monitoring]]).toEqual([
              nameOf(p),
              expect.arrayContaining([at(rule, 'from')]),
            ]);
        // …and the check sees a policy that lets the namespace in.
        const open = {
          ...own,
          spec: { ...(own?.['spec'] as Obj), ingress: [{ from: [{ podSelector: {} }] }] },
        };
        expect(admits([open as Obj], podLabels, deployment, port())).toBe(true);
        expect(admits(admitting, { 'app.kubernetes.io/name': 'someone-else' }, deployment, port())).toBe(
          false,
        );
      });
    }

    if (app.publicPath !== undefined || app.publicUrlVariable !== undefined)
      it('pauses before SIGTERM (preStop) so the Ingress stops routing to it first, within the grace period', () => {
        const preStop = at(container, 'lifecycle.preStop');
        const command = arr(at(preStop, 'exec.command')).map(String);
        const seconds = Number(at(preStop, 'sleep.seconds') ?? (command[0] === 'sleep' ? command[1] : NaN));
        expect(seconds).toBeGreaterThanOrEqual(3);
        const grace = Number(at(podSpec, 'terminationGracePeriodSeconds') ?? 30);
        // The pause and the app's own graceful shutdown both come out of terminationGracePeriodSeconds.
        expect(seconds + Number(appEnv(app).config['SHUTDOWN_GRACE_MS']) / 1000).toBeLessThan(grace);
      });

    if (app.publicPath !== undefined || app.publicUrlVariable !== undefined)
      it('serves health and metrics on a port of their own (the Ingress routes to http); only the Ingress controller reaches http', () => {
        expect(healthPort()).not.toBe(port());
        expect(containerPort('metrics')).toBe(healthPort());
        const controller = at(find(objects, 'NetworkPolicy', `${name}-from-ingress-controller`), [
          'spec',
          'ingress',
          0,
          'from',
        ]);
        expect(arr(controller).length).toBeGreaterThan(0);
        const admitting = ofKind(objects, 'NetworkPolicy').filter((p) =>
          selects(at(p, 'spec.podSelector'), podLabels),
        );
        for (const p of admitting)
          for (const rule of arr(at(p, 'spec.ingress')))
            if (arr(at(rule, 'ports')).some((rp) => containerPort(at(rp, 'port')) === port()))
              expect([nameOf(p), at(rule, 'from')]).toEqual([nameOf(p), controller]);
      });

    if (app.publicPath !== undefined) {
      const publicPath = app.publicPath;
      it(`is public over TLS for ${publicPath} only (no /health or /metrics), behind a trusted proxy hop and Altinn's source IP`, () => {
        const ingresses = ofKind(objects, 'Ingress').filter((i) =>
          arr(at(i, 'spec.rules')).some((r) =>
            arr(at(r, 'http.paths')).some((p) => at(p, 'backend.service.name') === name),
          ),
        );
        expect(ingresses).toHaveLength(1);
        const ingress = ingresses[0];
        expect(at(ingress, ['metadata', 'annotations', 'cert-manager.io/cluster-issuer'])).toEqual(
          expect.any(String),
        );
        const tlsHosts = arr(at(ingress, 'spec.tls')).flatMap((t) => arr(at(t, 'hosts')));
        for (const rule of arr(at(ingress, 'spec.rules'))) {
          expect(tlsHosts).toContain(at(rule, 'host'));
          for (const p of arr(at(rule, 'http.paths'))) {
            expect(at(p, 'path')).toBe(publicPath);
            expect(at(p, 'pathType')).toBe('Prefix');
            const service = find(objects, 'Service', String(at(p, 'backend.service.name')));
            const sp = arr(at(service, 'spec.ports')).find(
              (x) =>
                at(x, 'name') === at(p, 'backend.service.port.name') ||
                at(x, 'port') === at(p, 'backend.service.port.number'),
            );
            expect(containerPort(at(sp, 'targetPort'))).toBe(port());
          }
        }
        const { config } = appEnv(app);
        expect(config['TRUSTED_PROXY_HOPS']).toBe(1);
        expect(config['ALLOWED_SOURCE_CIDRS']).toEqual(expected.altinnSourceCidrs);
      });
    }

    if (isConsumer(app)) {
      it('scales with KEDA on the lag of its real consumer group, up to the partition count', () => {
        const { config } = appEnv(app);
        const scaled = ofKind(objects, 'ScaledObject').filter(
          (s) => at(s, 'spec.scaleTargetRef.name') === name,
        );
        expect(scaled).toHaveLength(1);
        const triggers = arr(at(scaled[0], 'spec.triggers'));
        expect(triggers.length).toBeGreaterThan(0);
        const sourceTopics = config['CONSUMER_TOPICS'] as string[];
        for (const t of triggers) {
          expect(at(t, 'type')).toBe('kafka');
          expect(at(t, 'metadata.consumerGroup')).toBe(pipelineGroupId(String(config['CONSUMER_NAME'])));
          expect(sourceTopics).toContain(at(t, 'metadata.topic'));
          expect(String(at(t, 'metadata.bootstrapServers')).split(',')).toEqual(config['KAFKA_BROKERS']);
          // A new group's lag is counted from where the app starts: KEDA and the app must agree, or KEDA sees the
          // whole topic as lag for an app that starts at the newest event and scales to the maximum.
          expect([name, at(t, 'metadata.offsetResetPolicy')]).toEqual([name, config['CONSUMER_START_FROM']]);
          const topic = topics.find((k) => topicName(k) === at(t, 'metadata.topic'));
          expect(Number(at(scaled[0], 'spec.maxReplicaCount'))).toBeLessThanOrEqual(
            Number(at(topic, 'spec.partitions')),
          );
        }
        expect(sourceTopics.slice().sort()).toEqual(triggers.map((t) => at(t, 'metadata.topic')).sort());
        // KEDA reads the lag with the apps' own credentials: same SASL mechanism, TLS, Secret keys.
        expect(kedaAuthProblems(objects, app)).toEqual([]);
        expect(Number(at(scaled[0], 'spec.minReplicaCount'))).toBeGreaterThanOrEqual(1);
      });
    }
  });

  it('has a Strimzi KafkaTopic for every topic the code uses (events, quarantine, each retry and DLQ), and no other', () => {
    const consumerNames = CONSUMERS.map((c) => String(appEnv(c).config['CONSUMER_NAME']));
    expect(topics.map(topicName).sort()).toEqual(allTopics(consumerNames).sort());
    for (const t of topics)
      expect([topicName(t), parseTopicName(topicName(t)) !== undefined]).toEqual([topicName(t), true]);
    // One resource per topic, named after it (two resource names for one topic would fight in the operator).
    for (const t of topics) expect(nameOf(t)).toBe(topicName(t));
    for (const c of CONSUMERS)
      for (const s of appEnv(c).config['CONSUMER_TOPICS'] as string[])
        expect(topics.map(topicName)).toContain(s);
    // Retry topics mirror the events topic's partitions, so a parked record can be re-read with the same parallelism.
    const eventsPartitions = at(
      topics.find((t) => topicName(t) === TOPICS.events),
      'spec.partitions',
    );
    for (const t of topics)
      if (parseTopicName(topicName(t))?.kind === 'retry')
        expect(at(t, 'spec.partitions')).toBe(eventsPartitions);
  });

  it('points every app, KEDA and every topic at the same Strimzi cluster', () => {
    const clusters = new Set(topics.map((t) => at(t, ['metadata', 'labels', 'strimzi.io/cluster'])));
    expect(clusters.size).toBe(1);
    const cluster = String([...clusters][0]);
    for (const app of APPS)
      for (const broker of appEnv(app).config['KAFKA_BROKERS'] as string[])
        expect([app.name, broker]).toEqual([
          app.name,
          expect.stringMatching(
            new RegExp(`^${cluster}-kafka-bootstrap\\.[a-z0-9-]+\\.svc(\\.cluster\\.local)?:\\d+$`),
          ),
        ]);
  });

  const kafkas = ofKind(objects, 'Kafka');
  if (kafkas.length > 0) {
    it('brings its own Kafka: node pools of that cluster, enough brokers for the topics, the bootstrap the apps use', () => {
      expect(kafkas).toHaveLength(1);
      const kafka = kafkas[0];
      const pools = ofKind(objects, 'KafkaNodePool').filter(
        (p) => at(p, ['metadata', 'labels', 'strimzi.io/cluster']) === nameOf(kafka),
      );
      expect(pools).toHaveLength(ofKind(objects, 'KafkaNodePool').length);
      const brokers = pools
        .filter((p) => arr(at(p, 'spec.roles')).includes('broker'))
        .reduce((n, p) => n + Number(at(p, 'spec.replicas')), 0);
      const controllers = pools
        .filter((p) => arr(at(p, 'spec.roles')).includes('controller'))
        .reduce((n, p) => n + Number(at(p, 'spec.replicas')), 0);
      expect(brokers).toBeGreaterThan(0);
      expect(controllers % 2).toBe(1); // a KRaft quorum has an odd number of voters
      for (const t of topics) expect(Number(at(t, 'spec.replicas'))).toBeLessThanOrEqual(brokers);
      for (const k of [
        'offsets.topic.replication.factor',
        'transaction.state.log.replication.factor',
        'default.replication.factor',
      ])
        expect(Number(at(kafka, ['spec', 'kafka', 'config', k]))).toBeLessThanOrEqual(brokers);
      const plain = arr(at(kafka, 'spec.kafka.listeners')).filter(
        (l) => at(l, 'tls') === false && at(l, 'type') === 'internal',
      );
      const bootstrap = plain.map(
        (l) => `${nameOf(kafka)}-kafka-bootstrap.${expected.namespace}.svc:${String(at(l, 'port'))}`,
      );
      for (const app of APPS)
        for (const b of appEnv(app).config['KAFKA_BROKERS'] as string[]) expect(bootstrap).toContain(b);
      // The version compose runs locally is the version deployed.
      expect(composeKafkaImage).toBe(`apache/kafka:${String(at(kafka, 'spec.kafka.version'))}`);
      // The Strimzi release that supports this Kafka version is the one the overlay and the docs ask for.
      const kafkaMinor = String(at(kafka, 'spec.kafka.version')).split('.').slice(0, 2).join('.');
      const strimzi = STRIMZI_FOR_KAFKA[kafkaMinor];
      expect([kafkaMinor, strimzi]).toEqual([kafkaMinor, expect.any(String)]);
      expect(readFileSync(join(K8S_DIR, 'overlays', overlay, 'kustomization.yaml'), 'utf8')).toContain(
        `Strimzi ≥ ${strimzi}`,
      );
      expect(readFileSync(join(REPO_ROOT, 'docs/deployment.md'), 'utf8')).toContain(
        `Kafka ${kafkaMinor} needs Strimzi ≥ ${strimzi}`,
      );
    });
  }
});

describe('environments that must never meet', () => {
  /** The Kafka cluster an overlay's apps and topics use: bootstrap addresses (host.namespace) and topic owner. */
  function kafkaOf(overlay: string): { bootstrap: string[]; cluster: string } {
    const objects = renderOverlay(overlay);
    const config =
      find(objects, 'ConfigMap', 'kafka-config') ??
      ofKind(objects, 'ConfigMap').find((c) => nameOf(c).startsWith('kafka-config'));
    const bootstrap = String(at(config, 'data.KAFKA_BROKERS')).split(',');
    const namespace = String(at(ofKind(objects, 'KafkaTopic')[0], 'metadata.namespace'));
    const labels = new Set(
      ofKind(objects, 'KafkaTopic').map((t) => at(t, ['metadata', 'labels', 'strimzi.io/cluster'])),
    );
    expect(labels.size).toBe(1);
    // A Strimzi cluster is named within the namespace its bootstrap Service lives in.
    const clusterNamespace = /\.([a-z0-9-]+)\.svc/.exec(bootstrap[0])?.[1] ?? namespace;
    return { bootstrap, cluster: `${clusterNamespace}/${String([...labels][0])}` };
  }

  it('TT02 and production use different Kafka clusters, so their topics and consumer groups cannot mix', () => {
    // Topic and group names come from libs/contracts and are the same in every environment (Altinn's events
    // of one environment on one cluster); what separates TT02 from production is the cluster itself.
    const byAltinn = new Map<string, string[]>();
    for (const overlay of overlays) {
      const altinn = OVERLAYS[overlay].altinn;
      byAltinn.set(altinn, [...(byAltinn.get(altinn) ?? []), overlay]);
    }
    for (const tt02 of byAltinn.get('tt02') ?? [])
      for (const production of byAltinn.get('production') ?? []) {
        const a = kafkaOf(tt02);
        const b = kafkaOf(production);
        expect([tt02, production, a.cluster === b.cluster]).toEqual([tt02, production, false]);
        expect(a.bootstrap.filter((x) => b.bootstrap.includes(x))).toEqual([]);
      }
  });
});

/** An overlay plus an opt-in component, rendered through a throw-away kustomization under tmp/ (kustomize takes
 * relative paths only). */
function renderWithComponent(overlay: string, component: string | undefined, extra: string[] = []): Obj[] {
  const dir = join(REPO_ROOT, 'tmp', `deploy-check-${component ?? 'images'}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [../../k8s/overlays/${overlay}]`,
      ...(component ? [`components: [../../k8s/components/${component}]`] : []),
      ...extra,
      '',
    ].join('\n'),
  );
  try {
    return parseYamlStream(
      execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
      dir,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('k8s/components/kafka-scram-tls on top of production', () => {
  const objects = renderWithComponent('production', 'kafka-scram-tls');

  it('renders valid objects', () => {
    const problems: string[] = [];
    for (const o of objects)
      if (hasBuiltInSchema(o)) problems.push(...builtInSchemaProblems(o).map((p) => `${idOf(o)}: ${p}`));
      else problems.push(...customResourceProblems(o).map((p) => `${idOf(o)}: ${p}`));
    expect(problems).toEqual([]);
  });

  it.each(CONSUMERS.map((c) => [c.name, c] as const))(
    '%s: the app uses SCRAM over TLS, and KEDA authenticates exactly as the app does',
    (_name, app) => {
      const container = arr(at(find(objects, 'Deployment', app.name), 'spec.template.spec.containers'))[0];
      const env = containerEnv(container, objects);
      expect([env.values['KAFKA_SASL_MECHANISM'], env.values['KAFKA_SSL']]).toEqual([
        'scram-sha-512',
        'true',
      ]);
      expect(kedaAuthProblems(objects, app)).toEqual([]);
      // …and the check sees a trigger that does not.
      const broken = objects.map((o) =>
        kindOf(o) === 'TriggerAuthentication'
          ? { ...o, spec: { secretTargetRef: [{ parameter: 'username', name: 'other', key: 'username' }] } }
          : o,
      );
      expect(kedaAuthProblems(broken, app).length).toBeGreaterThan(0);
    },
  );
});

describe('k8s/components/egress on top of each overlay', () => {
  /**
   * What each app talks to, from its config schema and settings: name resolution, Kafka, what its settings name,
   * and the container port behind each in-cluster Service one of its URLs points at.
   */
  function neededPorts(app: DeployedApp, objects: readonly Obj[], namespace: string): number[] {
    const vars = Object.keys(app.schema);
    const ports = new Set([53, 9092, 9093]);
    if (vars.some((v) => v.endsWith('_DATABASE_URL'))) ports.add(5432);
    if (vars.includes('REDIS_URL')) ports.add(6379);
    if (vars.includes('SMTP_PORT')) [587, 465].forEach((p) => ports.add(p));
    if (vars.includes('SLACK_WEBHOOK_URL') || vars.includes('ALTINN_ENVIRONMENT')) ports.add(443);
    if (vars.includes('OIDC_ISSUER')) ports.add(443);
    const container = arr(at(find(objects, 'Deployment', app.name), 'spec.template.spec.containers'))[0];
    const env = containerEnv(container, objects);
    for (const t of inClusterTargets(env.values, objects, namespace))
      if (t.containerPort !== undefined) ports.add(t.containerPort);
    return [...ports].sort((a, b) => a - b);
  }

  describe.each(overlays)('%s', (overlay) => {
    const objects = renderWithComponent(overlay, 'egress');
    const policies = ofKind(objects, 'NetworkPolicy');

    it('renders valid objects, with a default deny of egress', () => {
      for (const p of policies) expect([idOf(p), builtInSchemaProblems(p)]).toEqual([idOf(p), []]);
      expect(
        policies.filter(
          (p) =>
            Object.keys((at(p, 'spec.podSelector') as Obj) ?? {}).length === 0 &&
            arr(at(p, 'spec.policyTypes')).includes('Egress') &&
            at(p, 'spec.egress') === undefined,
        ),
      ).toHaveLength(1);
    });

    it.each(APPS.map((a) => [a.name, a] as const))(
      '%s may reach exactly the ports it needs',
      (_name, app) => {
        const labels = at(find(objects, 'Deployment', app.name), 'spec.template.metadata.labels');
        const allowed = new Set<number>();
        for (const p of policies)
          if (
            arr(at(p, 'spec.policyTypes')).includes('Egress') &&
            (Object.keys((at(p, 'spec.podSelector') as Obj) ?? {}).length === 0 ||
              selects(at(p, 'spec.podSelector'), labels))
          )
            for (const rule of arr(at(p, 'spec.egress'))) {
              expect(arr(at(rule, 'ports')).length).toBeGreaterThan(0); // never "any port"
              for (const rp of arr(at(rule, 'ports'))) allowed.add(Number(at(rp, 'port')));
            }
        expect([...allowed].sort((a, b) => a - b)).toEqual(
          neededPorts(app, objects, OVERLAYS[overlay].namespace),
        );
      },
    );

    it.each(APPS.map((a) => [a.name, a] as const))(
      '%s: a port opened for an in-cluster API leads only to the pods of that API',
      (_name, app) => {
        const deployment = find(objects, 'Deployment', app.name);
        const labels = at(deployment, 'spec.template.metadata.labels');
        const env = containerEnv(arr(at(deployment, 'spec.template.spec.containers'))[0], objects);
        const targets = inClusterTargets(env.values, objects, OVERLAYS[overlay].namespace);
        const apiPorts = new Set(targets.map((t) => t.containerPort));
        const targetLabels = targets.map((t) => at(t.deployment, 'spec.template.metadata.labels'));
        for (const p of policies.filter(
          (x) =>
            arr(at(x, 'spec.policyTypes')).includes('Egress') && selects(at(x, 'spec.podSelector'), labels),
        ))
          for (const rule of arr(at(p, 'spec.egress')))
            if (arr(at(rule, 'ports')).some((rp) => apiPorts.has(Number(at(rp, 'port'))))) {
              const peers = arr(at(rule, 'to'));
              expect([nameOf(p), peers.length > 0]).toEqual([nameOf(p), true]);
              for (const peer of peers)
                expect([nameOf(p), targetLabels.some((l) => selects(at(peer, 'podSelector'), l))]).toEqual([
                  nameOf(p),
                  true,
                ]);
            }
      },
    );
  });
});

it('an overlay can pin every image by digest with kustomize images: (what docs/deployment.md tells)', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const objects = renderWithComponent('production', undefined, [
    'images:',
    ...APPS.map(
      (a) =>
        `  - { name: ghcr.io/example-org/broker-events-${a.name}, newName: registry.example.no/team/broker-events-${a.name}, digest: '${digest}' }`,
    ),
  ]);
  for (const app of APPS)
    expect(
      at(find(objects, 'Deployment', app.name), ['spec', 'template', 'spec', 'containers', 0, 'image']),
    ).toBe(`registry.example.no/team/broker-events-${app.name}@${digest}`);
});
