/** What the console knows of the poller: from its /health/ready and its Prometheus metrics. */
export type PollerStatus =
  | { kind: 'off' }
  | { kind: 'unreachable'; error: string }
  | {
      kind: 'up';
      ready: boolean;
      resources: {
        resource: string;
        stalled: boolean;
        lastSuccessAt: string | null;
        cursorMovedAt: string | null;
      }[];
    };

/** `name{resource="x"} 1.5` lines of a Prometheus text exposition, by resource. */
export function metricByResource(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${name}\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const labels = m[1] ?? '';
    const resource = /(?:^|,)resource="((?:[^"\\]|\\.)*)"/.exec(labels)?.[1];
    const value = Number(m[2]);
    if (resource !== undefined && Number.isFinite(value)) out.set(resource, value);
  }
  return out;
}

const iso = (seconds: number | undefined): string | null =>
  seconds === undefined || seconds <= 0 ? null : new Date(seconds * 1000).toISOString();

/** Reads the poller's readiness and its `poller_stalled`, `poller_last_success_timestamp_seconds` and `poller_cursor_moved_timestamp_seconds`. */
export class PollerClient {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async status(): Promise<PollerStatus> {
    if (!this.baseUrl) return { kind: 'off' };
    const base = this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`;
    try {
      const [ready, metrics] = await Promise.all([
        fetch(new URL('health/ready', base), { signal: AbortSignal.timeout(this.timeoutMs) }),
        fetch(new URL('metrics', base), { signal: AbortSignal.timeout(this.timeoutMs) }),
      ]);
      await ready.arrayBuffer();
      if (!metrics.ok) return { kind: 'unreachable', error: `GET /metrics answered ${metrics.status}` };
      const text = await metrics.text();
      const stalled = metricByResource(text, 'poller_stalled');
      const success = metricByResource(text, 'poller_last_success_timestamp_seconds');
      const moved = metricByResource(text, 'poller_cursor_moved_timestamp_seconds');
      const names = [...new Set([...stalled.keys(), ...success.keys(), ...moved.keys()])].sort();
      return {
        kind: 'up',
        ready: ready.status === 200,
        resources: names.map((resource) => ({
          resource,
          stalled: stalled.get(resource) === 1,
          lastSuccessAt: iso(success.get(resource)),
          cursorMovedAt: iso(moved.get(resource)),
        })),
      };
    } catch (error) {
      return { kind: 'unreachable', error: error instanceof Error ? error.message : String(error) };
    }
  }
}
