import type { Names } from './app-files';

/** k8s/base/<name>.yaml: Deployment, Service, KEDA ScaledObject and PodDisruptionBudget, as for apps/slack. */
export function k8sManifest(n: Names): string {
  const { name } = n;
  const labels = `    app.kubernetes.io/name: ${name}
    app.kubernetes.io/component: consumer`;
  return `# The ${name} consumer: ${n.description}.
# Scaled by KEDA on its consumer group's lag.
# Config: ${name}.env (ConfigMap) + the ${name}-secrets Secret you create (docs/deployment.md).
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
${labels}
spec:
  # No replicas: the KEDA ScaledObject owns the count.
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${name}
        app.kubernetes.io/component: consumer
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      # Above SHUTDOWN_GRACE_MS: in-flight deliveries drain and offsets are committed before SIGKILL.
      terminationGracePeriodSeconds: 35
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: ${name}
          image: ghcr.io/example-org/broker-events-${name}:latest
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          envFrom:
            - configMapRef:
                name: kafka-config
            - configMapRef:
                name: ${name}-config
          env:
            # Required here (optional in the schema): without it the processed-events store is a SQLite file
            # inside each pod, and a restart or a second replica would deliver the same event again.
            - name: IDEMPOTENCY_DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: ${name}-secrets
                  key: IDEMPOTENCY_DATABASE_URL
            - name: KAFKA_SASL_USERNAME
              valueFrom:
                secretKeyRef:
                  name: kafka-credentials
                  key: username
                  optional: true
            - name: KAFKA_SASL_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: kafka-credentials
                  key: password
                  optional: true
          startupProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            requests:
              cpu: 50m
              memory: 160Mi
            limits:
              cpu: '1'
              memory: 384Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            privileged: false
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels:
${labels}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: ${name}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
---
# Scales on the lag of ${name}'s consumer group on the events topic. Its retry topic is left out on
# purpose: records wait there for their due time, and more replicas would not make them due sooner.
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: ${name}
  labels:
${labels}
spec:
  scaleTargetRef:
    name: ${name}
  minReplicaCount: 1
  maxReplicaCount: 6
  pollingInterval: 15
  cooldownPeriod: 300
  triggers:
    - type: kafka
      metadata:
        bootstrapServers: set-by-the-overlay-from-kafka-config
        consumerGroup: ${name}-server
        topic: altinn.broker.events.v1
        lagThreshold: '50'
        activationLagThreshold: '0'
        offsetResetPolicy: earliest
        version: 3.9.0
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
  labels:
${labels}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
`;
}

export function k8sEnv(n: Names): string {
  return `PORT=8080
CONSUMER_NAME=${n.name}
IDEMPOTENCY_DB_SCHEMA=consumers
LOG_LEVEL=info
SHUTDOWN_GRACE_MS=25000
`;
}

/** Its retry and dead-letter KafkaTopics, appended to k8s/base/topics.yaml (Strimzi owns topics there). */
export function k8sTopics(n: Names): string {
  const topic = (
    name: string,
    partitions: number,
    retention: string,
  ): string => `apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata:
  name: ${name}
  labels:
    strimzi.io/cluster: broker-events
spec:
  topicName: ${name}
  partitions: ${partitions}
  replicas: 3
  config:
    ${retention}
    min.insync.replicas: 2
    cleanup.policy: delete
---
`;
  return (
    `---\n# ${n.name} (apps/${n.name}): its retry topic, then its dead-letter topic.\n` +
    topic(
      `altinn.broker.retry.v1.${n.name}`,
      12,
      'retention.ms: 604800000 # 7 days, far above the longest retry delay',
    ) +
    topic(`altinn.broker.dlq.v1.${n.name}`, 3, 'retention.ms: 2592000000 # 30 days to inspect and replay')
  ).replace(/---\n$/, '');
}

/** Its docker/compose.yaml service, on the shared app anchor, after the gateway (which creates the topic). */
export function composeService(n: Names): string {
  return `  # ${n.description} (apps/${n.name}).
  ${n.name}:
    <<: *app
    image: \${IMAGE_PREFIX:-broker-events-}${n.name}:\${IMAGE_TAG:-dev}
    build:
      context: ..
      dockerfile: docker/Dockerfile
      args:
        APP: ${n.name}
    depends_on:
      # The gateway creates the events topic (auto-creation is off) and is healthy only once it exists.
      gateway:
        condition: service_healthy
      kafka:
        condition: service_healthy
      postgres:
        condition: service_healthy
    environment:
      PORT: '8080'
      KAFKA_BROKERS: kafka:9092
      KAFKA_CREATE_TOPICS: 'true'
      KAFKA_TOPIC_PARTITIONS: '6'
      KAFKA_TOPIC_REPLICATION_FACTOR: '1'
      IDEMPOTENCY_DATABASE_URL: postgres://\${POSTGRES_USER:-broker_events}:\${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in docker/.env}@postgres:5432/\${POSTGRES_DB:-broker_events}
      LOG_LEVEL: \${LOG_LEVEL:-info}
    ports:
      - '127.0.0.1:${n.port}:8080'
    healthcheck:
      <<: *app-healthcheck
      test:
        - 'CMD'
        - 'node'
        - '-e'
        - "fetch('http://127.0.0.1:8080/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

`;
}

export function docsSection(n: Names): string {
  return `
## ${n.name}

${n.description[0]?.toUpperCase() ?? ''}${n.description.slice(1)} (\`apps/${n.name}\`, generated by
\`nx g @broker-events/nx-plugin:consumer\`). Group \`${n.name}-server\`, retry topic
\`altinn.broker.retry.v1.${n.name}\`, dead letters \`altinn.broker.dlq.v1.${n.name}\`; \`${n.constant}_FILTER\` chooses the events.
This table is checked against the code by \`npx nx test ${n.name}\` (\`UPDATE_DOCS=1\` rewrites it).

<!-- config:${n.name}:start -->
<!-- config:${n.name}:end -->
`;
}

/** Its row in docs/deployment.md's compose table. */
export function composeTableRow(n: Names): string {
  return `| \`${n.name}\` | ${n.description} | \`http://localhost:${n.port}/health/ready\` |\n`;
}

/** Its Secret in docs/deployment.md's "create the Secrets" block. */
export function secretCommand(n: Names): string {
  return `
# ${n.name} — IDEMPOTENCY_DATABASE_URL (required in the cluster)
kubectl -n $NS create secret generic ${n.name}-secrets \\
  --from-literal=IDEMPOTENCY_DATABASE_URL='postgres://${n.name}:…@postgres.example.no:5432/broker_events'
`;
}
