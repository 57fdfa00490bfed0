import * as fs from 'node:fs';
import { ResolvedOptions } from './options';

/** server.properties for a single-node KRaft broker+controller with a static quorum, tuned for tests. */
export function serverProperties(r: ResolvedOptions): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // Static quorum: a plain `StorageTool format -t <id> -c <file>` works on 3.9 and 4.x alike.
    'controller.quorum.voters': `1@${r.host}:${r.controllerPort}`,
    listeners: `PLAINTEXT://${r.host}:${r.port},CONTROLLER://${r.host}:${r.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${r.host}:${r.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': r.files.kraftLogDir,
    // Single node.
    'num.partitions': 3,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Fast tests: no 3 s wait before the first rebalance; internal topics with one partition are created
    // quickly on the first group join / first transaction (the defaults are 50 partitions each).
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    // Lets fault tests use short consumer session timeouts (broker default minimum is 6 s).
    'group.min.session.timeout.ms': 1_000,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    'num.recovery.threads.per.data.dir': 1,
    // The default 128 MiB dedupe buffer would take a quarter of the 512 MiB heap.
    'log.cleaner.dedupe.buffer.size': 2_097_152,
    ...r.serverProperties,
  };
  const lines = Object.entries(props).map(([key, value]) => `${key}=${String(value)}`);
  return `# Written by tools/kafka (kafka-local) on every broker start; edits are overwritten.\n${lines.join('\n')}\n`;
}

/** Console logging (the broker's stdout goes to <dataDir>/broker.log); the noisiest loggers turned down. */
export function log4j2Properties(r: ResolvedOptions): string {
  return [
    'status = warn',
    'appender.console.type = Console',
    'appender.console.name = STDOUT',
    'appender.console.layout.type = PatternLayout',
    'appender.console.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${r.logLevel}`,
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    'logger.config.name = org.apache.kafka.common.config.AbstractConfig',
    'logger.config.level = WARN',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = WARN',
    '',
  ].join('\n');
}

export function writeConfigFiles(r: ResolvedOptions): void {
  fs.mkdirSync(r.dataDir, { recursive: true });
  fs.writeFileSync(r.files.serverProperties, serverProperties(r));
  fs.writeFileSync(r.files.log4j2, log4j2Properties(r));
}

/** The client port a data dir's broker was last configured with (from its server.properties). */
export function configuredPort(r: ResolvedOptions): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(r.files.serverProperties, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}
