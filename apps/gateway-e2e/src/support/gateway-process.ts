import { type AppProcess, runAppToExit, startAppProcess } from '@broker-events/testing';

export { freePort, until } from '@broker-events/testing';

export type GatewayProcess = AppProcess;

/** Runs the built gateway (`nx build gateway` first) as its own process, as it runs in production. */
export function startGatewayProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<GatewayProcess> {
  return startAppProcess('gateway', env, { timeoutMs });
}

/** Runs the gateway with `env` and returns how it exited and what it printed (for start-up failures). */
export function runGatewayToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return runAppToExit('gateway', env);
}

export function post(
  url: string,
  body: string | Buffer,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
}
