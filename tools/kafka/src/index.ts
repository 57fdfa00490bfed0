/**
 * @broker-events/kafka-local: a real single-node Apache Kafka (KRaft) broker for development and tests,
 * run from Maven Central jars (no Docker). See tools/kafka/README.md.
 */
export { installKafka, kafkaStatus, killKafka, startKafka, stopKafka } from './broker';
export type { KafkaStatus, RunningKafka } from './broker';
export { DEFAULT_KAFKA_VERSION, DEFAULT_PORT } from './options';
export type { LocalKafkaOptions } from './options';
export { DEFAULT_CLUSTER_BASE_PORT, LocalCluster, SCRAM_MECHANISM, startCluster } from './cluster';
export type { ClusterNode, ClusterOptions, PartitionState, ScramUser } from './cluster';
export { ensureTlsMaterial } from './tls';
export type { TlsMaterial } from './tls';
