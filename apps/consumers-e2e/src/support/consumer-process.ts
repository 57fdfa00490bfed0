import { type AppProcess, startAppProcess } from '@broker-events/testing';

export { REPO_ROOT, freePort } from '@broker-events/testing';

export type ConsumerProcess = AppProcess;

/** Runs a built consumer (`dist/apps/<app>/main.js`) as its own process and waits until it is ready. */
export function startConsumerProcess(
  app: 'archive' | 'email' | 'slack',
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ConsumerProcess> {
  return startAppProcess(app, env, { readyPath: '/health/ready', timeoutMs });
}
