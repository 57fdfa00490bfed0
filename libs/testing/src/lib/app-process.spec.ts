import { createServer } from 'node:net';
import { freePort, runAppToExit, startAppProcess, until } from './app-process';

describe('app-process', () => {
  it('freePort gives a port that can be listened on', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(port).toBeGreaterThan(0);
  });

  it('says which build is missing instead of spawning nothing', async () => {
    await expect(startAppProcess('no-such-app', {})).rejects.toThrow(
      /no-such-app\/main\.js is missing: run "npx nx build no-such-app"/,
    );
    await expect(runAppToExit('no-such-app', {})).rejects.toThrow(/is missing/);
  });

  it('until resolves once the check holds and names what it waited for when it never does', async () => {
    let n = 0;
    await until('three polls', () => ++n >= 3, 2000, 10);
    expect(n).toBe(3);
    await expect(until('the impossible', () => false, 100, 10)).rejects.toThrow(
      'timed out after 100 ms waiting for the impossible',
    );
  });
});
