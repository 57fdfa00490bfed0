import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AltinnCloudEvent, eventRole, organisationNumber, parseCloudEvent } from './index';
import {
  FIXTURES_DIR,
  SAMPLE_EXPECTATIONS,
  loadSample,
  loadSamples,
  sampleEvent,
  sampleEventBody,
} from './testing';

/** The repository root: the nearest folder above this file that holds nx.json. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** shared/ sits beside the repository, locally (/work/shared) and in CI (a copy next to the fresh clone). */
const SHARED_SAMPLES = resolve(repoRoot(), '..', 'shared', 'altinn', 'samples');

describe('the committed sample fixtures', () => {
  const samples = loadSamples();

  it('are all there: the 11 current forms, the legacy form, the docs example and the handshake', () => {
    expect(samples.map((s) => s.name)).toEqual(Object.keys(SAMPLE_EXPECTATIONS).sort());
    expect(samples).toHaveLength(14);
  });

  it.each(samples.map((s) => [s.name, s] as const))(
    '%s parses to the expected kind, type, role and org',
    (_name, sample) => {
      const result = parseCloudEvent(sample.body);
      if (!result.ok) throw new Error(JSON.stringify(result.violations));
      expect(result.kind).toBe(sample.expected.kind);
      expect(result.canonicalType).toBe(sample.expected.canonicalType);
      expect(eventRole(result.event)).toBe(sample.expected.role);
      expect(organisationNumber(result.event)).toBe(sample.expected.organisationNumber);
    },
  );

  it('current-<type>-<role> files say their type and role in their names', () => {
    for (const sample of samples.filter((s) => s.name.startsWith('current-'))) {
      const [, type, role] = /^current-([a-z]+)-(sender|recipient)$/.exec(sample.name) ?? [];
      expect(sample.expected.canonicalType).toBe(`no.altinn.broker.${type}`);
      expect(sample.expected.role?.toLowerCase()).toBe(role);
    }
  });

  it('give the raw text byte for byte', () => {
    const sample = loadSample('seed-docs-example');
    expect(sample.raw).toBe(readFileSync(join(FIXTURES_DIR, 'seed-docs-example.json'), 'utf8'));
    expect(sample.body).toEqual(JSON.parse(sample.raw));
  });

  it('loadSample throws for an unknown name', () => {
    expect(() => loadSample('nope')).toThrow(/No fixture named "nope"/);
  });

  if (!existsSync(SHARED_SAMPLES)) {
    it.todo(`equal the originals in ${SHARED_SAMPLES} (not present on this machine)`);
    return;
  }
  it(`equal the originals in ${SHARED_SAMPLES}`, () => {
    // The event bodies are copies, byte for byte. The README beside them is ours: it points at this
    // repository's docs instead of a reference file outside it.
    const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files(FIXTURES_DIR)).toEqual(files(SHARED_SAMPLES));
    expect(readdirSync(FIXTURES_DIR)).toContain('README.md');
    for (const file of files(SHARED_SAMPLES)) {
      expect(`${file}:\n${readFileSync(join(FIXTURES_DIR, file), 'utf8')}`).toBe(
        `${file}:\n${readFileSync(join(SHARED_SAMPLES, file), 'utf8')}`,
      );
    }
  });
});

describe('sampleEvent / sampleEventBody', () => {
  it('builds a valid recipient copy of published with a fresh id and file transfer id each time', () => {
    const a = sampleEvent();
    const b = sampleEvent();
    expect(a).toBeInstanceOf(AltinnCloudEvent);
    expect(a.type).toBe('no.altinn.broker.published');
    expect(eventRole(a)).toBe('Recipient');
    expect(a.id).not.toBe(b.id);
    expect(a.resourceinstance).not.toBe(b.resourceinstance);
  });

  it('applies overrides; undefined removes an attribute', () => {
    const e = sampleEvent({
      type: 'no.altinn.broker.uploadfailed',
      data: { Role: 'Sender' },
      time: undefined,
    });
    expect(e.type).toBe('no.altinn.broker.uploadfailed');
    expect(eventRole(e)).toBe('Sender');
    expect(Object.keys(e)).not.toContain('time');
  });

  it('sampleEvent throws on overrides that make it invalid, sampleEventBody does not', () => {
    expect(() => sampleEvent({ subject: 'nobody' })).toThrow(/subject: must be/);
    expect(sampleEventBody({ subject: 'nobody' })['subject']).toBe('nobody');
  });
});
