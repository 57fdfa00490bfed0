import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';

/** A file being written: bytes go to `stream`; `commit` makes it visible under its final name, `abort` drops it. */
export interface StoredFileWriter {
  stream: Writable;
  commit(): Promise<string>;
  abort(): Promise<void>;
}

/** Where fetched files go: a local folder, or an S3-compatible bucket. */
export interface FileStorage {
  readonly kind: 'local' | 's3';
  begin(fileTransferId: string, fileName: string): StoredFileWriter;
  /** True when `location` (as returned by commit) still holds a file. */
  exists(location: string): Promise<boolean>;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A file name that is safe on disk: the last path segment only, no control characters or separators, at most
 * 200 characters, never `.`/`..`/empty (then `file.bin`).
 */
export function safeFileName(name: string | undefined): string {
  const base = basename((name ?? '').replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .trim()
    .slice(0, 200);
  return base === '' || base === '.' || base === '..' || base.startsWith('.partial-') ? 'file.bin' : base;
}

/**
 * `<dir>/<fileTransferId>/<fileName>`, written to a `.partial-*` file first and renamed on commit, so a
 * crash or a failed checksum never leaves a half file under the real name.
 */
export class LocalFolderStorage implements FileStorage {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    mkdirSync(this.root, { recursive: true });
  }

  begin(fileTransferId: string, fileName: string): StoredFileWriter {
    if (!UUID.test(fileTransferId))
      throw new RangeError(`not a file transfer id: ${JSON.stringify(fileTransferId)}`);
    const folder = join(this.root, fileTransferId.toLowerCase());
    mkdirSync(folder, { recursive: true });
    const finalPath = join(folder, safeFileName(fileName));
    if (!finalPath.startsWith(folder + sep)) throw new RangeError('file name escapes the storage folder');
    const partial = join(folder, `.partial-${randomBytes(6).toString('hex')}`);
    const stream = createWriteStream(partial, { flags: 'wx' });
    return {
      stream,
      commit: async () => {
        renameSync(partial, finalPath);
        return finalPath;
      },
      abort: async () => {
        stream.destroy();
        rmSync(partial, { force: true });
      },
    };
  }

  async exists(location: string): Promise<boolean> {
    return existsSync(location);
  }
}
