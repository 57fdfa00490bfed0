import { Parser } from '@asyncapi/parser';
import {
  BrokerEventType,
  HEADERS,
  type KafkaRecord,
  canonicalEventType,
  parseCloudEvent,
  toKafkaRecord,
} from '@broker-events/contracts';
import { arbitraryBrokerEventBody, loadSamples, sampleEvent } from '@broker-events/contracts/testing';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { messageIdOf } from './asyncapi';
import { recordValidator } from './record-validator';
import { DOCS_DIR, renderAsyncApi } from './render';
import {
  HEADERS_SCHEMA_FILE,
  SCHEMAS_DIR,
  UNKNOWN_TYPE_VALUE_SCHEMA_FILE,
  brokerCatalog,
  renderSchema,
  schemaFiles,
  valueSchemaFile,
} from './schemas';

const schemasDir = join(DOCS_DIR, SCHEMAS_DIR);

function recordOf(body: unknown): KafkaRecord {
  const parsed = parseCloudEvent(body);
  if (!parsed.ok) throw new Error(`not a valid event: ${JSON.stringify(parsed.violations)}`);
  return toKafkaRecord(parsed.event, parsed.canonicalType);
}

describe('JSON Schemas of the events topic (docs/schemas)', () => {
  const validator = recordValidator();

  it('are committed as generated (run `npm run asyncapi` after changing the contracts)', () => {
    const generated = schemaFiles();
    const committed = readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json'));
    expect(committed.sort()).toEqual(generated.map((f) => f.file).sort());
    for (const f of generated) {
      expect({ file: f.file, text: readFileSync(join(schemasDir, f.file), 'utf8') }).toEqual({
        file: f.file,
        text: renderSchema(f.schema),
      });
    }
  });

  it('has a value schema for every Broker type in the catalog, retired ones included', () => {
    expect(validator.files).toEqual(
      expect.arrayContaining([
        HEADERS_SCHEMA_FILE,
        UNKNOWN_TYPE_VALUE_SCHEMA_FILE,
        ...Object.values(BrokerEventType).map(valueSchemaFile),
      ]),
    );
  });

  it('accepts the record of every sample event', () => {
    const samples = loadSamples().filter((s) => s.expected.kind !== 'handshake');
    expect(samples.length).toBeGreaterThan(10);
    for (const sample of samples) {
      const record = recordOf(sample.body);
      expect({ sample: sample.name, problems: validator.problems(record) }).toEqual({
        sample: sample.name,
        problems: [],
      });
    }
  });

  it('accepts the record of every valid Broker event the contracts can produce (property test)', () => {
    fc.assert(
      fc.property(arbitraryBrokerEventBody(), (body) => {
        expect(validator.problems(recordOf(body))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts an event without data (empty value, no altinn_role) and an unknown type', () => {
    const noData = toKafkaRecord(sampleEvent({ data: undefined }), BrokerEventType.Published);
    expect(noData.value.length).toBe(0);
    expect(noData.headers[HEADERS.role]).toBeUndefined();
    expect(validator.problems(noData)).toEqual([]);
    const unknown = sampleEvent({ type: 'no.altinn.broker.filescanned' });
    const record = toKafkaRecord(unknown, canonicalEventType(unknown.type));
    expect(record.headers[HEADERS.typeKnown]).toBe('false');
    expect(validator.problems(record)).toEqual([]);
  });

  it('refuses records that break the contract, naming what is wrong', () => {
    const good = toKafkaRecord(sampleEvent({ data: { Role: 'Recipient' } }), BrokerEventType.Published);
    const broken = (headers: Record<string, string | undefined>, value: Buffer | null = good.value) => ({
      headers: Object.fromEntries(
        Object.entries({ ...good.headers, ...headers }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      ),
      value,
    });
    expect(validator.problems(good)).toEqual([]);
    expect(validator.problems(broken({ [HEADERS.id]: undefined })).join()).toMatch(/ce_id/);
    expect(validator.problems(broken({ [HEADERS.role]: 'Admin' })).join()).toMatch(/altinn_role/);
    expect(validator.problems(broken({ [HEADERS.type]: 'no.altinn.broker.Published' })).join()).toMatch(
      /ce_type/,
    );
    // A known-type flag on a type the catalog does not have, and the other way round.
    expect(validator.problems(broken({ [HEADERS.type]: 'no.altinn.broker.new' })).join()).toMatch(/ce_type/);
    expect(
      validator.problems(broken({ [HEADERS.typeKnown]: 'false', [HEADERS.kind]: 'broker-unknown' })).join(),
    ).toMatch(/ce_type/);
    expect(validator.problems(broken({ [HEADERS.resourceinstance]: 'not-a-uuid' })).join()).toMatch(
      /ce_resourceinstance/,
    );
    expect(validator.problems(broken({}, Buffer.from('{"Role":"Admin"}'))).join()).toMatch(/value.*Role/);
    expect(validator.problems(broken({}, Buffer.from('[1]'))).join()).toMatch(/must be object/);
  });

  it('are what docs/asyncapi.yaml references: one message per Broker type, its payload that type’s schema', async () => {
    const { document, diagnostics } = await new Parser().parse(renderAsyncApi(), {
      source: join(DOCS_DIR, 'asyncapi.yaml'),
    });
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => d.message)).toEqual([]);
    const channel = document
      ?.channels()
      .all()
      .find((c) => c.id() === 'events');
    const byId = new Map(
      channel
        ?.messages()
        .all()
        .map((m) => [m.id(), m]) ?? [],
    );
    for (const t of brokerCatalog()) {
      const file = JSON.parse(readFileSync(join(schemasDir, valueSchemaFile(t.type)), 'utf8')) as {
        title: string;
      };
      const message = byId.get(messageIdOf(t.type));
      expect(message?.payload()?.title()).toBe(file.title);
      expect(Object.keys(message?.headers()?.properties() ?? {})).toEqual(
        expect.arrayContaining([HEADERS.id, HEADERS.type, HEADERS.role, HEADERS.resourceinstance]),
      );
    }
    expect(byId.get('unknown')?.payload()?.title()).toMatch(/not in this version's catalog/);
  });
});
