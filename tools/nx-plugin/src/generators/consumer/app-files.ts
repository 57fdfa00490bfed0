/**
 * The files of a new consumer app, as text. They follow apps/slack (the smallest built-in consumer): a config
 * schema on the shared pipeline settings, one module, one handler on the events topic, one sink, and a spec
 * that drives the handler through the real pipeline on a real broker.
 */
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

export function appFiles(n: Names): Record<string, string> {
  const { name, className: C, constant: K, propertyName: p } = n;
  return {
    'project.json': `{
  "name": "${name}",
  "$schema": "../../node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "apps/${name}/src",
  "projectType": "application",
  "tags": ["scope:consumer", "type:app"],
  "targets": {}
}
`,
    'tsconfig.json': `{
  "extends": "../../tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./tsconfig.app.json" }, { "path": "./tsconfig.spec.json" }]
}
`,
    'tsconfig.app.json': `{
  "extends": "./tsconfig.json",
  "compilerOptions": { "outDir": "../../dist/out-tsc", "types": ["node"] },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts", "src/**/*.test.ts", "jest.config.js"]
}
`,
    'tsconfig.spec.json': `{
  "extends": "./tsconfig.json",
  "compilerOptions": { "outDir": "../../dist/out-tsc", "types": ["jest", "node"] },
  "include": ["jest.config.js", "src/**/*.ts", "test/**/*.ts"]
}
`,
    'jest.config.js': `/** @type {import('jest').Config} */
module.exports = {
  displayName: '${name}',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  globalSetup: '<rootDir>/../../tools/kafka/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/kafka/src/jest-global-teardown.ts',
  coverageDirectory: '../../coverage/apps/${name}',
};
`,
    'eslint.config.mjs': `import baseConfig from '../../eslint.config.mjs';

export default [...baseConfig];
`,
    'webpack.config.js': `const { nodeAppWebpackConfig } = require('../../tools/webpack/node-app');

module.exports = nodeAppWebpackConfig(__dirname);
`,
    'src/main.ts': `import { ConfigError } from '@broker-events/config';
import { createLogger } from '@broker-events/observability';
import { start${C} } from './app/bootstrap';
import { load${C}Config } from './app/config/${name}.config';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = load${C}Config(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\\n');
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await start${C}(loaded, createLogger('${name}', loaded.config.LOG_LEVEL));
}

main().catch((error: unknown) => {
  process.stderr.write(\`${name} failed to start: \${error instanceof Error ? error.stack : String(error)}\\n\`);
  process.exit(1);
});
`,
    [`src/app/config/${name}.config.ts`]: `import { type ConfigOf, ConfigError, type EnvRecord, loadConfig, oneOf, str } from '@broker-events/config';
import { type EventFilter, FilterError, compileFilter, filters } from '@broker-events/contracts';
import {
  idempotencyConfigSchema,
  kafkaConfigProblems,
  kafkaConfigSchema,
  pipelineConfigSchema,
} from '@broker-events/messaging';
import { LOG_LEVELS } from '@broker-events/observability';

/** Every setting of the ${name} consumer. docs/consumers.md's table is generated from (and tested against) it. */
export const ${p}ConfigSchema = {
  ...kafkaConfigSchema,
  ...pipelineConfigSchema({ consumer: '${name}', port: ${n.port} }),
  ...idempotencyConfigSchema,
  ${K}_FILTER: str({
    doc: 'JSON EventFilter (contracts vocabulary: exact/prefix/suffix/all/any/not) choosing which events are delivered. Default: every Broker event.',
    default: JSON.stringify(filters.broker()),
  }),
  // Add your system's settings here (its URL, credentials with \`secret: true\`, timeouts); the docs table follows.
  LOG_LEVEL: oneOf(LOG_LEVELS, { doc: 'Log level.', default: 'info' }),
};

export type ${C}Config = ConfigOf<typeof ${p}ConfigSchema>;

export interface Loaded${C}Config {
  config: ${C}Config;
  filter: EventFilter;
}

export function load${C}Config(env: EnvRecord): Loaded${C}Config {
  const config = loadConfig('${name}', ${p}ConfigSchema, env);
  const problems = kafkaConfigProblems(config);
  let filter: EventFilter | undefined;
  try {
    filter = JSON.parse(config.${K}_FILTER) as EventFilter;
    compileFilter(filter);
  } catch (error) {
    filter = undefined;
    problems.push({
      variable: '${K}_FILTER',
      reason:
        error instanceof FilterError
          ? error.message
          : \`is not valid JSON (\${error instanceof Error ? error.message : String(error)})\`,
    });
  }
  if (problems.length > 0 || !filter) throw new ConfigError('${name}', problems);
  return { config, filter };
}
`,
    [`src/app/config/${name}.config.spec.ts`]: `import { join } from 'node:path';
import { readmeConfigSection, repoRoot } from '@broker-events/config/testing';
import { load${C}Config, ${p}ConfigSchema } from './${name}.config';

describe('${name} configuration', () => {
  it('is documented in docs/consumers.md exactly as the schema says (UPDATE_DOCS=1 rewrites the table)', () => {
    const { actual, expected } = readmeConfigSection(
      '${name}',
      ${p}ConfigSchema,
      join(repoRoot(), 'docs/consumers.md'),
    );
    expect(actual).toBe(expected);
  });

  it('loads with only KAFKA_BROKERS and names every bad variable', () => {
    expect(load${C}Config({ KAFKA_BROKERS: 'k:9092' }).config).toMatchObject({
      CONSUMER_NAME: '${name}',
      PORT: ${n.port},
    });
    expect(() => load${C}Config({ KAFKA_BROKERS: 'k:9092', ${K}_FILTER: '{"exact":' })).toThrow(
      /${K}_FILTER: is not valid JSON/,
    );
  });
});
`,
    [`src/app/${name}.tokens.ts`]: `export const ${K}_CONFIG = Symbol('${K}_CONFIG');
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
`,
    [`src/app/${name}.sink.ts`]: `import type { AltinnCloudEvent } from '@broker-events/contracts';
import type { PipelineMessageInfo, Sink } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';

/**
 * Delivers one event to your system. Throw TransientDeliveryError (retried, then parked in the retry topic) or
 * PermanentDeliveryError (dead-lettered at once) from @broker-events/messaging; anything else counts as
 * transient. Return only once your system has the event: the offset is committed after that.
 */
export class ${C}Sink implements Sink {
  constructor(private readonly logger: AppLogger) {}

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void> {
    // TODO: call your system here.
    this.logger.info(
      { eventId: event.id, type: info.canonicalType, fileTransferId: event.resourceinstance },
      '${n.description}',
    );
  }
}
`,
    [`src/app/${name}.handler.ts`]: `import { type AltinnCloudEvent, TOPICS } from '@broker-events/contracts';
import { PipelineContext } from '@broker-events/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ${C}Sink } from './${name}.sink';

/** The pipeline has filtered (${K}_FILTER), validated and de-duplicated the event; deliver it. */
@Controller()
export class ${C}Handler {
  constructor(private readonly sink: ${C}Sink) {}

  @EventPattern(TOPICS.events)
  async handle(@Payload() event: AltinnCloudEvent, @Ctx() ctx: PipelineContext): Promise<void> {
    await this.sink.deliver(event, ctx.info);
  }
}
`,
    'src/app/app.module.ts': `import { type DynamicModule, Module } from '@nestjs/common';
import { type AppLogger, ObservabilityModule } from '@broker-events/observability';
import {
  type IdempotencyStore,
  type Sink,
  createIdempotencyStore,
  pipelineServerProvider,
} from '@broker-events/messaging';
import type { Loaded${C}Config } from './config/${name}.config';
import { ${C}Handler } from './${name}.handler';
import { ${C}Sink } from './${name}.sink';
import { IDEMPOTENCY_STORE, ${K}_CONFIG } from './${name}.tokens';

@Module({})
export class AppModule {
  /** \`sink\` replaces the real one in tests (a fake of the system we do not own). */
  static forRoot(loaded: Loaded${C}Config, logger: AppLogger, sink?: Sink): DynamicModule {
    const { config } = loaded;
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: '${name}', logger })],
      controllers: [${C}Handler],
      providers: [
        { provide: ${K}_CONFIG, useValue: config },
        { provide: IDEMPOTENCY_STORE, useFactory: () => createIdempotencyStore(config) },
        { provide: ${C}Sink, useFactory: () => sink ?? new ${C}Sink(logger.child({ component: 'sink' })) },
        pipelineServerProvider({
          config,
          inject: [IDEMPOTENCY_STORE],
          options: (store: IdempotencyStore) => ({
            filter: loaded.filter,
            idempotency: store,
            idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION_DAYS * 86_400_000,
          }),
        }),
      ],
    };
  }
}
`,
    'src/app/bootstrap.ts': `import 'reflect-metadata';
import { redactConfig } from '@broker-events/config';
import { type IdempotencyStore, type Sink, startConsumerApp } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { type Loaded${C}Config, ${p}ConfigSchema } from './config/${name}.config';
import { IDEMPOTENCY_STORE } from './${name}.tokens';

/** Starts the ${name} consumer: pipeline + health and metrics on one HTTP port. */
export async function start${C}(
  loaded: Loaded${C}Config,
  logger: AppLogger,
  handleSignals = true,
  sink?: Sink,
): Promise<NestFastifyApplication> {
  const app = await startConsumerApp({
    module: AppModule.forRoot(loaded, logger, sink),
    config: loaded.config,
    logger,
    handleSignals,
    readiness: (a) => {
      const store = a.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      return { 'idempotency-store': () => store.ping() };
    },
  });
  logger.info({ config: redactConfig(${p}ConfigSchema, loaded.config) }, '${name} configuration');
  return app;
}
`,
    [`test/${name}.spec.ts`]: `import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@broker-events/config';
import { type AltinnCloudEvent, TOPICS, canonicalEventType, toKafkaRecord } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import {
  CoalescingPublisher,
  type PipelineMessageInfo,
  type Sink,
  createKafka,
  ensureTopics,
  kafkaConfigSchema,
} from '@broker-events/messaging';
import { createLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { start${C} } from '../src/app/bootstrap';
import { load${C}Config } from '../src/app/config/${name}.config';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const run = randomBytes(3).toString('hex');
const kafka = createKafka(loadConfig('${name}-spec', kafkaConfigSchema, { KAFKA_BROKERS: brokers }), '${name}-spec');
const publisher = new CoalescingPublisher(kafka);

/** Stands in for your system: records what the pipeline delivered. */
class RecordingSink implements Sink {
  readonly delivered: { id: string; type: string }[] = [];
  private waiters: (() => void)[] = [];
  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void> {
    this.delivered.push({ id: event.id, type: info.canonicalType });
    for (const w of this.waiters.splice(0)) w();
  }
  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

let app: NestFastifyApplication | undefined;

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await publisher.connect();
});

afterAll(async () => {
  await app?.close();
  await publisher.close();
});

describe('${name} consumer', () => {
  it('delivers what ${K}_FILTER selects through the pipeline, skips the rest, and reports ready', async () => {
    const topic = \`\${TOPICS.events}.${name}-\${run}\`;
    await ensureTopics(kafka, [{ topic, partitions: 1, replicationFactor: 1 }]);
    const loaded = load${C}Config({
      KAFKA_BROKERS: brokers,
      CONSUMER_NAME: \`${name}-\${run}\`,
      CONSUMER_TOPICS: topic,
      CONSUMER_START_FROM: 'earliest',
      KAFKA_TOPIC_PARTITIONS: '1',
      IDEMPOTENCY_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), '${name}-spec-')), 'processed.sqlite'),
      ${K}_FILTER: JSON.stringify({ exact: { type: 'no.altinn.broker.published' } }),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    const sink = new RecordingSink();
    app = await start${C}(loaded, createLogger('${name}', 'silent'), false, sink);

    const skipped = sampleEvent({ type: 'no.altinn.broker.uploadprocessing', data: { Role: 'Sender' } });
    const wanted = sampleEvent();
    // One partition, this order: once \`wanted\` is delivered, \`skipped\` has been filtered out.
    await publisher.publish(
      [skipped, wanted].map((e) => ({ ...toKafkaRecord(e, canonicalEventType(e.type)), topic })),
    );
    await sink.until(() => sink.delivered.some((d) => d.id === wanted.id));

    expect(sink.delivered).toEqual([{ id: wanted.id, type: 'no.altinn.broker.published' }]);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/pipeline_skipped_total\\{[^}]*reason="filter"[^}]*\\} 1/);
  });
});
`,
    'README.md': `# ${name}

A consumer of \`altinn.broker.events.v1\`: ${n.description}. Generated by \`nx g @broker-events/nx-plugin:consumer ${name}\`.

- \`src/app/${name}.sink.ts\`: **your code**: deliver one event to your system (throw TransientDeliveryError or
  PermanentDeliveryError from @broker-events/messaging to choose retry or dead letter).
- \`src/app/config/${name}.config.ts\`: its settings (\`${K}_FILTER\` chooses the events); the table in
  [docs/consumers.md](../../docs/consumers.md#${name}) is checked against it.
- \`test/${name}.spec.ts\`: drives the handler through the real pipeline on a real broker.

Group \`${name}-server\`, retry topic \`altinn.broker.retry.v1.${name}\`, dead letters \`altinn.broker.dlq.v1.${name}\`.
Health on \`/health/live\` and \`/health/ready\`, Prometheus on \`/metrics\` (port ${n.port} by default).

\`\`\`bash
npx nx build ${name} && npx nx lint ${name} && npx nx test ${name}
\`\`\`
`,
  };
}
