import { Agent, request } from 'node:http';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { type Answer, Ledger } from './accounting';
import { sleep } from './processes';

export interface SentEvent {
  id: string;
  body: string;
  /** performance.now() when the POST went out and when its answer came back. */
  sentAt: number;
  answeredAt: number;
  answer: Answer;
  /** The `Retry-After` header of the answer, when it had one. */
  retryAfter?: string;
}

export interface SteadyLoadOptions {
  /** Webhook URL including the token. */
  url: string;
  /** Events per second. */
  rate: number;
  durationMs: number;
  ledger: Ledger;
  /** Most requests in flight; past it the tick is skipped and counted as `behind`. */
  maxInFlight?: number;
  /** Event bodies (default: a fresh valid Broker event with a random id). */
  makeEvent?: () => Record<string, unknown>;
  /** Called with every answered request. */
  onAnswer?: (sent: SentEvent) => void;
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number;
  /** Set to true to stop early. */
  stop?: { stopped: boolean };
}

export interface SteadyLoadResult {
  attempted: number;
  /** Requests not sent because `maxInFlight` were already waiting. */
  behind: number;
  elapsedMs: number;
}

/** Keep-alive connections for the load: node:http costs far less CPU per request than fetch. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function httpPost(
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/cloudevents+json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        const retryAfter = res.headers['retry-after'];
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs one event: notes the answer in the ledger. */
export async function postEvent(
  url: string,
  id: string,
  body: string,
  ledger: Ledger,
  timeoutMs = 15_000,
): Promise<SentEvent> {
  const sentAt = performance.now();
  let answer: Answer;
  let retryAfter: string | undefined;
  try {
    ({ status: answer, retryAfter } = await httpPost(url, body, timeoutMs));
  } catch {
    answer = 'error';
  }
  ledger.note(id, answer);
  return { id, body, sentAt, answeredAt: performance.now(), answer, retryAfter };
}

/**
 * Sends events at a fixed rate (open model: ticks every 10 ms whatever the answers), each a new event with
 * a unique id, and notes every answer in the ledger.
 */
export async function steadyLoad(opts: SteadyLoadOptions): Promise<SteadyLoadResult> {
  const maxInFlight = opts.maxInFlight ?? 512;
  const make = opts.makeEvent ?? (() => sampleEventBody());
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let attempted = 0;
  let behind = 0;
  const tickMs = 10;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= opts.durationMs || opts.stop?.stopped) break;
    const due = Math.floor((elapsed / 1000) * opts.rate) + 1;
    while (attempted + behind < due) {
      if (inFlight.size >= maxInFlight) {
        behind++;
        continue;
      }
      attempted++;
      const event = make();
      const id = String(event['id']);
      const p = postEvent(opts.url, id, JSON.stringify(event), opts.ledger, opts.requestTimeoutMs).then(
        (sent) => {
          opts.onAnswer?.(sent);
          inFlight.delete(p);
        },
      );
      inFlight.add(p);
    }
    await sleep(tickMs);
  }
  await Promise.all(inFlight);
  return { attempted, behind, elapsedMs: Math.round(performance.now() - start) };
}

/**
 * What Altinn does with an event it got no 2xx for: sends the same body again, until a 2xx or
 * `timeoutMs`. Returns how many are still not accepted.
 */
export async function resendUntilAccepted(
  url: string,
  bodies: ReadonlyMap<string, string>,
  ledger: Ledger,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = [...bodies.keys()].filter((id) => !ledger.isAccepted(id));
    if (pending.length === 0 || Date.now() > deadline) return pending.length;
    for (let i = 0; i < pending.length; i += 20) {
      await Promise.all(
        pending.slice(i, i + 20).map((id) => postEvent(url, id, bodies.get(id) ?? '', ledger)),
      );
    }
    if (pending.some((id) => !ledger.isAccepted(id))) await sleep(500);
  }
}
