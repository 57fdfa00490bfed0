import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFolderStorage, safeFileName } from './file-storage';

describe('local folder storage', () => {
  it('keeps file names on disk safe', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\temp\\rapport.xml')).toBe('rapport.xml');
    expect(safeFileName('a\u0000b:c?.txt')).toBe('a_b_c_.txt');
    expect(safeFileName('..')).toBe('file.bin');
    expect(safeFileName(undefined)).toBe('file.bin');
    expect(safeFileName('.partial-abc')).toBe('file.bin');
  });

  it('writes to a partial file and shows it under its name only on commit; abort leaves nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storage-'));
    const storage = new LocalFolderStorage(dir);
    const id = randomUUID();
    const w = storage.begin(id, 'report.xml');
    await new Promise<void>((resolve, reject) =>
      w.stream.end(Buffer.from('hello'), () => resolve()).on('error', reject),
    );
    expect(readdirSync(join(dir, id))).toEqual([expect.stringMatching(/^\.partial-/)]);
    const location = await w.commit();
    expect(readFileSync(location, 'utf8')).toBe('hello');
    expect(await storage.exists(location)).toBe(true);

    const aborted = storage.begin(id, 'other.xml');
    aborted.stream.write('partial');
    await aborted.abort();
    expect(readdirSync(join(dir, id))).toEqual(['report.xml']);
    expect(() => storage.begin('../../x', 'a')).toThrow(RangeError);
  });
});
