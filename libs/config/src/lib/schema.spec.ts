import {
  ConfigError,
  bool,
  describeSchema,
  int,
  list,
  loadConfig,
  oneOf,
  optional,
  redactConfig,
  schemaMarkdownTable,
  str,
  url,
} from './schema';

const schema = {
  PORT: int({ doc: 'HTTP port', default: 8080, min: 1, max: 65535 }),
  BROKERS: list({ doc: 'Kafka brokers', minItems: 1 }),
  TOKENS: list({
    doc: 'tokens',
    secret: true,
    item: (v) => (v.length < 8 ? 'is shorter than 8 characters' : undefined),
  }),
  DEBUG: bool({ doc: 'debug', default: false }),
  LEVEL: oneOf(['info', 'debug'] as const, { doc: 'level', default: 'info' }),
  REDIS_URL: optional(url({ doc: 'redis', protocols: ['redis', 'rediss'], secret: true })),
  NAME: str({ doc: 'name', default: 'x', minLength: 1 }),
};

describe('loadConfig', () => {
  it('parses a complete env record into typed values and applies defaults', () => {
    const cfg = loadConfig('test', schema, {
      BROKERS: 'a:1, b:2,',
      TOKENS: 'abcdefgh,ijklmnop',
      DEBUG: 'yes',
    });
    expect(cfg).toEqual({
      PORT: 8080,
      BROKERS: ['a:1', 'b:2'],
      TOKENS: ['abcdefgh', 'ijklmnop'],
      DEBUG: true,
      LEVEL: 'info',
      REDIS_URL: undefined,
      NAME: 'x',
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig('gateway', schema, { PORT: 'eighty', DEBUG: 'maybe', LEVEL: 'loud', REDIS_URL: 'http://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['BROKERS', 'DEBUG', 'LEVEL', 'PORT', 'REDIS_URL', 'TOKENS']);
    expect((error as Error).message).toContain('Invalid configuration for gateway');
    expect((error as Error).message).toContain('PORT: must be a whole number');
  });

  it('never echoes a secret value in an error', () => {
    expect(() => loadConfig('t', schema, { BROKERS: 'a', TOKENS: 'short1' })).toThrow(
      /TOKENS: item 1 is shorter than 8 characters/,
    );
    try {
      loadConfig('t', { S: str({ doc: 's', secret: true, pattern: /^x/ }) }, { S: 'topsecret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
      expect((e as Error).message).toContain('S: must match');
    }
    expect.assertions(3);
  });

  it('treats an empty string as unset', () => {
    expect(() => loadConfig('t', schema, { BROKERS: '', TOKENS: 'abcdefgh' })).toThrow(
      /BROKERS: is required/,
    );
  });

  it('enforces integer bounds', () => {
    expect(() => loadConfig('t', schema, { BROKERS: 'a', TOKENS: 'abcdefgh', PORT: '70000' })).toThrow(
      /PORT: must be at most 65535/,
    );
  });
});

describe('schema documentation', () => {
  it('describes each variable with its default, and redacts secrets', () => {
    const docs = describeSchema(schema);
    expect(docs.find((d) => d.name === 'PORT')).toMatchObject({ required: false, default: '8080' });
    expect(docs.find((d) => d.name === 'BROKERS')).toMatchObject({ required: true });
    expect(schemaMarkdownTable(schema)).toContain(
      '| `TOKENS` | comma-separated list, secret | required | tokens |',
    );
    const cfg = loadConfig('t', schema, {
      BROKERS: 'a',
      TOKENS: 'abcdefgh',
      REDIS_URL: 'redis://:pw@h:6379',
    });
    expect(redactConfig(schema, cfg)).toMatchObject({
      TOKENS: '[redacted]',
      REDIS_URL: '[redacted]',
      PORT: 8080,
    });
  });
});

describe('schemaMarkdownTable', () => {
  it('escapes pipes so that enum types and docs stay inside their cells', () => {
    const table = schemaMarkdownTable({ ENV: oneOf(['tt02', 'production'] as const, { doc: 'a | b', default: 'tt02' }) });
    expect(table.split('\n')[2]).toBe('| `ENV` | tt02 \\| production | `tt02` | a \\| b |');
  });
});
