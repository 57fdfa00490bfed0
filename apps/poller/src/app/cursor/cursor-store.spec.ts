import { dropPostgresSchema } from '@broker-events/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CursorStore, PostgresCursorStore, SqliteCursorStore } from './cursor-store';

const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `poller_cursors_${randomBytes(4).toString('hex')}`;
const sqlitePath = join(mkdtempSync(join(tmpdir(), 'poller-cursor-')), 'cursors.sqlite');

afterAll(() => dropPostgresSchema(PG_URL, schema));

describe.each([
  ['PostgreSQL', () => new PostgresCursorStore(PG_URL, schema)],
  ['SQLite', () => new SqliteCursorStore(sqlitePath)],
] as [string, () => CursorStore][])('%s cursor store', (_name, make) => {
  it('keeps one cursor per resource across restarts, and init is idempotent', async () => {
    const first = make();
    await first.init();
    await first.init();
    expect(await first.get('urn:altinn:resource:a')).toBeUndefined();
    await first.set('urn:altinn:resource:a', 'id-1');
    await first.set('urn:altinn:resource:a', 'id-2');
    await first.set('urn:altinn:resource:b', 'id-9');
    expect(await first.ping()).toBe(true);
    await first.close();

    const second = make();
    await second.init();
    expect(await second.get('urn:altinn:resource:a')).toBe('id-2');
    expect(await second.get('urn:altinn:resource:b')).toBe('id-9');
    await second.close();
  });

  it('refuses an unsafe schema name', () => {
    expect(() => new PostgresCursorStore(PG_URL, 'x"; DROP TABLE y; --')).toThrow(RangeError);
  });
});
