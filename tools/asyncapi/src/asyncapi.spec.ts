import { Parser } from '@asyncapi/parser';
import { TOPICS, deadLetterTopic, retryTopic } from '@broker-events/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { asyncApiDocument } from './asyncapi';
import { BUILT_IN_CONSUMERS } from './consumers';
import { DOCS_DIR, renderAsyncApi } from './render';

describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3 document according to the AsyncAPI parser', async () => {
    const parser = new Parser();
    // The source path lets the parser resolve the $refs to docs/schemas/*.json.
    const { document, diagnostics } = await parser.parse(renderAsyncApi(), {
      source: join(DOCS_DIR, 'asyncapi.yaml'),
    });
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const addresses =
      document
        ?.channels()
        .all()
        .map((c) => c.address()) ?? [];
    expect(addresses).toEqual(
      expect.arrayContaining([
        TOPICS.events,
        TOPICS.quarantine,
        TOPICS.deliveries,
        ...BUILT_IN_CONSUMERS.flatMap((c) => [retryTopic(c.name), deadLetterTopic(c.name)]),
      ]),
    );
  });

  it('names each consumer group and documents the key and the CloudEvents headers', () => {
    const doc = asyncApiDocument(BUILT_IN_CONSUMERS, '0.0.0') as {
      operations: Record<string, { bindings?: { kafka: { groupId: { enum: string[] } } } }>;
      components: { messages: Record<string, { headers?: { $ref?: string } }> };
    };
    const groups = Object.values(doc.operations).flatMap((o) => o.bindings?.kafka.groupId.enum ?? []);
    expect(groups.sort()).toEqual(BUILT_IN_CONSUMERS.map((c) => c.groupId).sort());
    expect(groups).toEqual(expect.arrayContaining(['archive-server', 'email-server', 'slack-server']));
    expect(doc.components.messages['published']?.headers?.$ref).toBe('./schemas/headers.schema.json');
    const headers = JSON.parse(readFileSync(join(DOCS_DIR, 'schemas/headers.schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(headers.properties)).toEqual(
      expect.arrayContaining(['ce_id', 'ce_type', 'ce_resourceinstance', 'altinn_role']),
    );
  });

  it('is committed as generated (run `npm run asyncapi` after changing the contracts)', () => {
    const committed = readFileSync(join(DOCS_DIR, 'asyncapi.yaml'), 'utf8');
    expect(parse(committed)).toEqual(parse(renderAsyncApi()));
  });
});
