import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ALTINN_SCOPES } from '@broker-events/contracts';
import { loadConfig } from '@broker-events/config';
import { type AltinnClient, altinnConfigSchema, createAltinnClient } from '@broker-events/altinn-client';
import type { WebhookDelivery } from '@broker-events/altinn-client/testing';
import { type LocalAltinnInfo, localAltinnEnv } from './local-altinn';
import type { StackState } from './stack';

/**
 * `npm run demo` with the local Altinn: the whole story of a file transfer, through the real paths.
 *   1. A sender initializes a file transfer to us in the local Broker and uploads the file.
 *   2. Altinn Events pushes our copy of `published` to the gateway's webhook (→ Kafka → archive, email).
 *   3. The file fetcher downloads the file, checks it and confirms the download.
 *   4. The sender sees `downloadconfirmed` and `allconfirmeddownloaded` (GET /events, as the sender).
 *   5. Outage: the gateway is stopped, two more transfers are published, every push to the webhook fails.
 *   6. The poller reads them from GET /events and publishes them: archived and fetched with the gateway down.
 *   7. The gateway starts again; Altinn keeps retrying the missed pushes, the consumers fold the duplicates.
 * Each step waits for its exact condition; a step that does not happen in time fails the demo.
 */
export interface StoryStep {
  step: string;
  ok: boolean;
  detail?: string;
}

export interface StoryResult {
  ok: boolean;
  steps: StoryStep[];
  /** The transfers the demo published: the first by webhook, the others during the outage. */
  transfers: { fileTransferId: string; fileName: string; content: string }[];
}

interface ArchivedEvent {
  id: string;
  type: string;
  subject?: string;
}

const TYPE = (t: string): string => `no.altinn.broker.${t}`;
const orgUrn = (orgnr: string): string => `urn:altinn:organization:identifier-no:${orgnr}`;

class StepFailed extends Error {}

export async function runStoryDemo(
  state: StackState,
  log: (line: string) => void,
  options: { stepTimeoutMs?: number } = {},
): Promise<StoryResult> {
  const info = state.altinn;
  if (!info) throw new Error('the story needs the local Altinn (npm start without ALTINN_ENVIRONMENT)');
  const timeoutMs = options.stepTimeoutMs ?? 60_000;
  const steps: StoryStep[] = [];
  const transfers: StoryResult['transfers'] = [];
  const sender = senderClient(info);
  const us = info.client.organisationNumber;
  const run = Date.now().toString(36);

  const step = async (name: string, body: () => Promise<string | undefined>): Promise<void> => {
    log(`\n▶ ${name}`);
    try {
      const detail = await body();
      steps.push({ step: name, ok: true, ...(detail ? { detail } : {}) });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      steps.push({ step: name, ok: false, detail });
      log(`  ✗ ${detail}`);
      throw new StepFailed(detail);
    }
  };
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const archived = async (id: string): Promise<ArchivedEvent[]> => {
    const res = await fetch(`${state.archiveUrl}/archive/file-transfers/${id}/events?limit=100`);
    if (!res.ok) return [];
    return ((await res.json()) as { events: ArchivedEvent[] }).events;
  };
  const deliveries = async (): Promise<WebhookDelivery[]> => {
    const res = await fetch(`${state.controlUrl}/altinn/deliveries`);
    if (!res.ok) throw new Error(`${state.controlUrl}/altinn/deliveries answered ${res.status}`);
    return (await res.json()) as WebhookDelivery[];
  };
  const ourPublished = async (id: string): Promise<WebhookDelivery | undefined> =>
    (await deliveries()).find(
      (d) => d.resourceinstance === id && d.type === TYPE('published') && d.subject === orgUrn(us),
    );
  const fetched = async (id: string, content: string): Promise<{ location: string; trigger: string }> =>
    waitFor(`the file fetcher's download and confirm of ${id}`, async () => {
      const res = await fetch(`${state.fileFetcherUrl}/files/${id}`);
      if (!res.ok) return undefined;
      const outcome = (await res.json()) as { status: string; location?: string; trigger: string };
      if (outcome.status !== 'confirmed' || outcome.location === undefined) return undefined;
      if (!existsSync(outcome.location) || readFileSync(outcome.location, 'utf8') !== content)
        throw new Error(`${outcome.location} does not hold what the sender uploaded`);
      return { location: outcome.location, trigger: outcome.trigger };
    });
  const publish = async (n: number): Promise<StoryResult['transfers'][number]> => {
    const fileName = `demo-${run}-${n}.txt`;
    const content = `Hello from ${info.sender.organisationNumber}: file ${n} of the broker-events demo (${new Date().toISOString()}).\n`;
    const fileTransferId = await sendFile(info, sender, us, fileName, Buffer.from(content));
    const transfer = { fileTransferId, fileName, content };
    transfers.push(transfer);
    log(`  published ${fileName} as file transfer ${fileTransferId}`);
    return transfer;
  };

  let gatewayStopped = false;
  try {
    let first: StoryResult['transfers'][number] | undefined;
    await step(
      `1. The sender (${info.sender.organisationNumber}) initializes a file transfer to us (${us}) in the local Broker and uploads the file`,
      async () => {
        first = await publish(1);
        return first.fileTransferId;
      },
    );
    const t1 = first as StoryResult['transfers'][number];

    await step("2. Altinn Events pushes our copy of `published` to the gateway's webhook", async () => {
      const d = await waitFor('the push of published', async () => {
        const found = await ourPublished(t1.fileTransferId);
        return found?.state === 'delivered' ? found : undefined;
      });
      log(
        `  pushed: ${d.attempts.map((a) => a.status ?? a.error).join(', ')} (see ${state.controlUrl}/altinn/deliveries)`,
      );
      const events = await waitFor('published in the archive', async () => {
        const e = await archived(t1.fileTransferId);
        return e.some((x) => x.type === TYPE('published')) ? e : undefined;
      });
      log(`  archived: ${events.map((e) => e.type.replace('no.altinn.broker.', '')).join(', ')}`);
      log(`    ${state.archiveUrl}/archive/file-transfers/${t1.fileTransferId}/events`);
      return undefined;
    });

    await step(
      '3. The file fetcher downloads the file, checks its MD5 and confirms the download',
      async () => {
        const f = await fetched(t1.fileTransferId, t1.content);
        log(`  on disk: ${f.location}`);
        log(`    outcome: ${state.fileFetcherUrl}/files/${t1.fileTransferId}`);
        return f.location;
      },
    );

    await step('4. The sender sees downloadconfirmed and allconfirmeddownloaded', async () => {
      const types = await waitFor("the sender's events", async () => {
        const page = await sender.events.getEvents({
          resource: `urn:altinn:resource:${info.resourceId}`,
          after: '0',
          subject: orgUrn(info.sender.organisationNumber),
          size: 1000,
        });
        const mine = (page.events as Record<string, unknown>[])
          .filter((e) => e['resourceinstance'] === t1.fileTransferId)
          .map((e) => String(e['type']).replace('no.altinn.broker.', ''));
        return mine.includes('allconfirmeddownloaded') && mine.includes('downloadconfirmed')
          ? mine
          : undefined;
      });
      log(`  the sender's events (GET /events as ${info.sender.organisationNumber}): ${types.join(', ')}`);
      const overview = await sender.broker.getOverview(t1.fileTransferId);
      log(`  Broker's overview: ${overview.fileTransferStatus}`);
      if (overview.fileTransferStatus !== 'AllConfirmedDownloaded')
        throw new Error(`the transfer is ${overview.fileTransferStatus}, not AllConfirmedDownloaded`);
      const ours = await waitFor('our downloadconfirmed in the archive', async () => {
        const e = await archived(t1.fileTransferId);
        return e.some((x) => x.type === TYPE('downloadconfirmed')) ? e : undefined;
      });
      log(`  our archive now: ${ours.map((e) => e.type.replace('no.altinn.broker.', '')).join(', ')}`);
      const mails = await waitFor('an email about the transfer', async () => {
        const n = await mailsAbout(state, t1.fileTransferId);
        return n > 0 ? n : undefined;
      });
      log(`  ${mails} email(s) about it in ${state.inboxUrl}`);
      return undefined;
    });

    const outage: StoryResult['transfers'] = [];
    await step(
      '5. Outage: the gateway stops, two more transfers are published, every push to the webhook fails',
      async () => {
        await control(state, 'gateway', 'stop');
        gatewayStopped = true;
        log('  gateway stopped');
        outage.push(await publish(2), await publish(3));
        for (const t of outage) {
          const d = await waitFor(`a failed push of ${t.fileTransferId}`, async () => {
            const found = await ourPublished(t.fileTransferId);
            return found && found.attempts.length > 0 && found.state !== 'pending' ? found : undefined;
          });
          if (d.state === 'delivered')
            throw new Error(`the push of ${t.fileTransferId} went through with the gateway down`);
          log(
            `  push of published for ${t.fileTransferId}: ${d.attempts.map((a) => a.error ?? a.status).join(', ')}; Altinn retries at ${d.nextAttemptAt ?? '(given up)'}`,
          );
        }
        return undefined;
      },
    );

    await step(
      '6. The poller catches up from GET /events: archived and fetched while the gateway is still down',
      async () => {
        for (const t of outage) {
          await waitFor(`published of ${t.fileTransferId} in the archive`, async () =>
            (await archived(t.fileTransferId)).some((x) => x.type === TYPE('published')) ? true : undefined,
          );
          // Only the poller can have put it there: the gateway is down and no push of it has succeeded.
          const d = await ourPublished(t.fileTransferId);
          if (d?.state === 'delivered')
            throw new Error(`a push of ${t.fileTransferId} was delivered; the webhook did not miss it`);
          const f = await fetched(t.fileTransferId, t.content);
          log(
            `  ${t.fileTransferId}: archived (webhook pushes so far: ${d?.attempts.length ?? 0}, none delivered), fetched to ${f.location}`,
          );
        }
        const recovered = await pollerRecovered(state);
        log(
          `  poller: ${recovered} events recovered from GET /events so far (${state.pollerUrl}/metrics, poller_events_recovered_total)`,
        );
        return undefined;
      },
    );

    await step('7. The gateway starts again', async () => {
      await control(state, 'gateway', 'start');
      gatewayStopped = false;
      const pending = (await deliveries()).filter(
        (d) => outage.some((t) => t.fileTransferId === d.resourceinstance) && d.state === 'retrying',
      );
      log(
        `  gateway ready; Altinn still retries ${pending.length} missed push(es) on its schedule (compressed ${info.timeScale}×); the consumers fold the duplicates`,
      );
      return undefined;
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    if (gatewayStopped) await control(state, 'gateway', 'start').catch(() => undefined);
  }
  return { ok: steps.length === 7 && steps.every((s) => s.ok), steps, transfers };
}

function senderClient(info: LocalAltinnInfo): AltinnClient {
  const cfg = loadConfig('demo', altinnConfigSchema, localAltinnEnv(info, info.sender));
  return createAltinnClient(cfg, {
    defaultScopes: [ALTINN_SCOPES.brokerWrite, ALTINN_SCOPES.eventsSubscribe],
  });
}

/** The sender's side of Broker: initialize (with the MD5), then upload. Returns the file transfer id. */
async function sendFile(
  info: LocalAltinnInfo,
  sender: AltinnClient,
  recipient: string,
  fileName: string,
  content: Buffer,
): Promise<string> {
  const api = `${sender.endpoints.brokerApi}/filetransfer`;
  const headers = async (type: string): Promise<Record<string, string>> => ({
    authorization: `Bearer ${await sender.tokens.token()}`,
    'content-type': type,
    accept: 'application/json',
  });
  const init = await fetch(api, {
    method: 'POST',
    headers: await headers('application/json'),
    body: JSON.stringify({
      fileName,
      resourceId: info.resourceId,
      sender: `0192:${info.sender.organisationNumber}`,
      recipients: [`0192:${recipient}`],
      checksum: createHash('md5').update(content).digest('hex'),
    }),
  });
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${await init.text()}`);
  const { fileTransferId } = (await init.json()) as { fileTransferId: string };
  const upload = await fetch(`${api}/${fileTransferId}/upload`, {
    method: 'POST',
    headers: await headers('application/octet-stream'),
    body: content,
  });
  if (upload.status !== 200) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
  return fileTransferId;
}

async function control(state: StackState, app: string, action: 'stop' | 'start'): Promise<void> {
  const res = await fetch(`${state.controlUrl}/apps/${app}/${action}`, { method: 'POST' });
  if (!res.ok) throw new Error(`${action} ${app}: ${res.status} ${await res.text()}`);
}

async function mailsAbout(state: StackState, fileTransferId: string): Promise<number> {
  const res = await fetch(`${state.inboxUrl}/email`);
  if (!res.ok) return 0;
  const emails = (await res.json()) as { subject?: string; text?: string }[];
  return emails.filter((e) => `${e.subject ?? ''}\n${e.text ?? ''}`.includes(fileTransferId)).length;
}

async function pollerRecovered(state: StackState): Promise<number> {
  const res = await fetch(`${state.pollerUrl}/metrics`);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('poller_events_recovered_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
