import { loadSamples } from '@broker-events/contracts/testing';
import { randomUUID } from 'node:crypto';
import type { StackState } from './stack';

export interface PostedSample {
  name: string;
  /** The fresh id the demo gave this copy of the sample (so a second demo run is not a duplicate). */
  id: string;
  /** The fresh file transfer id (resourceinstance), which the email shows. */
  fileTransferId: string;
  status: number;
  answer: string;
  /** True when the gateway published it to Kafka (the handshake is answered but not published). */
  published: boolean;
}

export interface DemoResult {
  posted: PostedSample[];
  /** Ids of published samples the archive API returned. */
  archived: string[];
  /** File transfer ids that appear in an email in MailDev. */
  mailed: string[];
}

/**
 * Posts every sample event (libs/contracts' fixtures) to the running gateway, each with a fresh `id` and
 * `resourceinstance`, then waits until the archive API returns each published one and MailDev holds an email
 * for each, or `timeoutMs` passes.
 */
export async function runDemo(
  state: StackState,
  log: (line: string) => void,
  timeoutMs = 60_000,
): Promise<DemoResult> {
  const posted: PostedSample[] = [];
  log(`Posting ${loadSamples().length} sample events to ${state.gatewayUrl}/altinn/events/… `);
  for (const sample of loadSamples()) {
    const body = { ...(sample.body as Record<string, unknown>) };
    const id = randomUUID();
    const fileTransferId = randomUUID();
    body['id'] = id;
    if ('resourceinstance' in body) body['resourceinstance'] = fileTransferId;
    const res = await fetch(state.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(body),
    });
    const answer = await res.text();
    const published = res.status === 200 && answer.includes('"published"');
    posted.push({ name: sample.name, id, fileTransferId, status: res.status, answer, published });
    log(`  ${String(res.status)} ${sample.name.padEnd(48)} ${answer}`);
  }

  const expected = posted.filter((p) => p.published);
  const deadline = Date.now() + timeoutMs;
  let archived: string[] = [];
  let mailed: string[] = [];
  log(`Waiting for ${expected.length} events in the archive and the mail inbox …`);
  for (;;) {
    archived = await archivedIds(state, expected);
    mailed = state.inboxUrl ? await mailedTransfers(state, expected) : [];
    if ((archived.length === expected.length && mailed.length === expected.length) || Date.now() > deadline)
      break;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`  archive: ${archived.length}/${expected.length} events stored, e.g.`);
  if (expected[0]) log(`    ${state.archiveUrl}/archive/events/${expected[0].id}`);
  log(`  email:   ${mailed.length}/${expected.length} emails in ${state.inboxUrl}`);
  if (state.slackUrl) log('  slack:   posted to your Slack destination (see the channel)');
  return { posted, archived, mailed };
}

async function archivedIds(state: StackState, expected: readonly PostedSample[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of expected) {
    const res = await fetch(`${state.archiveUrl}/archive/events/${encodeURIComponent(p.id)}`).catch(
      () => undefined,
    );
    if (res?.ok) found.push(p.id);
  }
  return found;
}

async function mailedTransfers(state: StackState, expected: readonly PostedSample[]): Promise<string[]> {
  const res = await fetch(`${state.inboxUrl}/email`).catch(() => undefined);
  if (!res?.ok) return [];
  const emails: unknown = await res.json();
  if (!Array.isArray(emails)) return [];
  const texts = emails.map((e: unknown) => {
    if (typeof e !== 'object' || e === null) return '';
    const { subject, text } = e as { subject?: unknown; text?: unknown };
    return `${typeof subject === 'string' ? subject : ''}\n${typeof text === 'string' ? text : ''}`;
  });
  return expected.filter((p) => texts.some((t) => t.includes(p.fileTransferId))).map((p) => p.fileTransferId);
}
