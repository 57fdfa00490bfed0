import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPortFree } from './util';

/** A port p with p and p+1 (controller) both free on 127.0.0.1, away from the default 19092/19093. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000) * 2;
    if ((await isPortFree('127.0.0.1', port)) && (await isPortFree('127.0.0.1', port + 1))) return port;
  }
  throw new Error('no free port pair found');
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
