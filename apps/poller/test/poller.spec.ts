import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADERS, TOPICS, parseCloudEvent, toKafkaRecord } from '@broker-events/contracts';
import {
  type AltinnStandIns,
  EVENTS_CONSISTENCY_WINDOW_MS,
  startAltinnStandIns,
} from '@broker-events/altinn-client/testing';
import { TopicTail } from '@broker-events/messaging/testing';
import { createLogger } from '@broker-events/observability';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startPoller } from '../src/app/bootstrap';
import { loadPollerConfig } from '../src/app/config/poller.config';
import { PollerService } from '../src/app/polling/poller.service';
import { until } from '@broker-events/testing';

const brokers = process.env['KAFKA_BROKERS'] ?? '';
const RESOURCE_ID = 'altinn-broker-test-resource-1';
const RESOURCE = `urn:altinn:resource:${RESOURCE_ID}`;
const ORG = '312000008';

let now = Date.now();
const clock = (): number => now;

function brokerEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: 'no.altinn.broker.published',
    time: '2026-11-27T09:00:00.000000Z',
    resource: RESOURCE,
    resourceinstance: randomUUID(),
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: `urn:altinn:organization:identifier-no:${ORG}`,
    data: { Role: 'Recipient' },
    ...overrides,
  };
}

describe('poller: GET /events → Kafka, against the Events stand-in and a real broker', () => {
  const run = randomBytes(3).toString('hex');
  const topic = `${TOPICS.events}.poller-${run}`;
  const quarantine = `${TOPICS.quarantine}.poller-${run}`;
  let s: AltinnStandIns;
  let tail: TopicTail;
  const apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    s = await startAltinnStandIns({ clock });
    tail = await TopicTail.start(brokers, [topic, quarantine]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await tail.stop();
    await s.close();
  });

  async function start(
    extra: Record<string, string> = {},
  ): Promise<{ app: NestFastifyApplication; poller: PollerService }> {
    const config = loadPollerConfig({
      ...s.env,
      KAFKA_BROKERS: brokers,
      POLL_RESOURCES: RESOURCE_ID,
      POLL_ORGANISATION_NUMBER: ORG,
      POLL_ON_START: 'false',
      POLL_INTERVAL_SECONDS: '3600',
      POLL_INITIAL_CURSOR: 'beginning',
      POLLER_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'poller-')), 'cursors.sqlite'),
      POLLER_TOPIC: topic,
      POLLER_QUARANTINE_TOPIC: quarantine,
      KAFKA_TOPIC_PARTITIONS: '2',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...extra,
    });
    const app = await startPoller(config, createLogger('poller', 'silent'), false);
    apps.push(app);
    return { app, poller: app.get(PollerService) };
  }

  const onTopic = (ids: unknown[]) => tail.on(topic).filter((m) => ids.includes(m.headers[HEADERS.id]));

  it('publishes what Altinn holds with the gateway’s mapping, paging through `next`, and keeps its cursor', async () => {
    const events = Array.from({ length: 5 }, () => brokerEvent());
    for (const e of events) s.platform.publishEvent(e, new Date(now - 60_000));
    const sqlite = join(mkdtempSync(join(tmpdir(), 'poller-')), 'cursors.sqlite');
    const { app, poller } = await start({ POLL_PAGE_SIZE: '2', POLLER_SQLITE_PATH: sqlite });

    const [result] = await poller.pollNow();
    expect(result).toMatchObject({
      resource: RESOURCE,
      outcome: 'ok',
      published: 5,
      pages: 4,
      cursor: events[4]['id'],
    });
    const ids = events.map((e) => e['id']);
    await tail.waitFor(() => onTopic(ids).length === 5);

    // Same record as the gateway would write: key = file transfer id, binary-mode headers.
    const parsed = parseCloudEvent(events[0]);
    if (!parsed.ok) throw new Error('fixture is invalid');
    const expected = toKafkaRecord(parsed.event, parsed.canonicalType);
    const [written] = onTopic([events[0]['id']]);
    expect(written.key).toBe(expected.key);
    expect(written.headers).toEqual(expected.headers);
    expect(written.value?.toString('utf8')).toBe(expected.value.toString('utf8'));

    const afters = s.platform.requests
      .filter((r) => r.path === '/events/api/v1/events')
      .map((r) => r.query.get('after'));
    expect(afters.slice(-4)).toEqual(['0', events[1]['id'], events[3]['id'], events[4]['id']]);
    expect(
      s.platform.requests
        .filter((r) => r.path === '/events/api/v1/events')
        .every((r) => r.query.get('subject') === `urn:altinn:organization:identifier-no:${ORG}`),
    ).toBe(true);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      `poller_events_recovered_total{resource="${RESOURCE}",type="no.altinn.broker.published",service="poller"} 5`,
    );

    // A restart with the same cursor file publishes nothing again.
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    const restarted = await start({ POLLER_SQLITE_PATH: sqlite });
    const [again] = await restarted.poller.pollNow();
    expect(again).toMatchObject({ outcome: 'ok', published: 0, cursor: events[4]['id'] });
  });

  it('gets an event only once it is older than the 30-second window, from the saved cursor on', async () => {
    const { poller, app } = await start();
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect({ status: ready.statusCode, body: ready.json() as unknown }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { kafka: true, 'cursor-store': true, progress: true } },
    });
    await poller.pollNow(); // drain what earlier tests left
    const old = brokerEvent();
    const fresh = brokerEvent();
    s.platform.publishEvent(old, new Date(now - EVENTS_CONSISTENCY_WINDOW_MS - 1000));
    s.platform.publishEvent(fresh, new Date(now - 5_000));

    expect((await poller.pollNow())[0]).toMatchObject({ published: 1, cursor: old['id'] });
    now += EVENTS_CONSISTENCY_WINDOW_MS;
    expect((await poller.pollNow())[0]).toMatchObject({ published: 1, cursor: fresh['id'] });
    await tail.waitFor(() => onTopic([old['id'], fresh['id']]).length === 2);
  });

  it('keeps the cursor when Altinn fails (401 twice, 503, a timeout), and catches up on the next poll', async () => {
    const { poller, app } = await start({ ALTINN_HTTP_TIMEOUT_MS: '300' });
    await poller.pollNow();
    const missed = brokerEvent();
    s.platform.publishEvent(missed, new Date(now - 60_000));

    s.platform.fail({ status: 503, path: /\/events$/ });
    const [failed] = await poller.pollNow();
    expect(failed.outcome).toBe('altinn_error');
    s.platform.fail({ status: 401, path: /\/events$/, times: 2 });
    expect((await poller.pollNow())[0].outcome).toBe('altinn_error');
    s.platform.fail({ delayMs: 2000, path: /\/events$/ });
    expect((await poller.pollNow())[0]).toMatchObject({
      outcome: 'altinn_error',
      error: expect.stringContaining('no answer within 300 ms'),
    });

    expect((await poller.pollNow())[0]).toMatchObject({ outcome: 'ok', published: 1, cursor: missed['id'] });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /poller_polls_total\{resource="[^"]+",outcome="altinn_error",service="poller"\} 3/,
    );
  });

  it('quarantines an event that fails validation and moves past it', async () => {
    const { poller } = await start();
    await poller.pollNow();
    const bad = brokerEvent({ resourceinstance: 'not a uuid', data: { Role: 'Boss' } });
    const good = brokerEvent();
    s.platform.publishEvent(bad, new Date(now - 60_000));
    s.platform.publishEvent(good, new Date(now - 60_000));
    expect((await poller.pollNow())[0]).toMatchObject({ published: 1, quarantined: 1, cursor: good['id'] });
    await tail.waitFor(() =>
      tail.on(quarantine).some((m) => m.value?.toString('utf8').includes(String(bad['id']))),
    );
    const [q] = tail.on(quarantine).filter((m) => m.value?.toString('utf8').includes(String(bad['id'])));
    expect(JSON.parse(q.headers[HEADERS.quarantineViolations]) as unknown[]).not.toHaveLength(0);
  });

  it('starts after the newest event with POLL_INITIAL_CURSOR=latest (no replay of history)', async () => {
    const history = brokerEvent();
    s.platform.publishEvent(history, new Date(now - 60_000));
    const { poller } = await start({ POLL_INITIAL_CURSOR: 'latest' });
    expect((await poller.pollNow())[0]).toMatchObject({ published: 0, cursor: history['id'] });
    const next = brokerEvent();
    s.platform.publishEvent(next, new Date(now - 60_000));
    expect((await poller.pollNow())[0]).toMatchObject({ published: 1, cursor: next['id'] });
    await tail.settle(500);
    expect(onTopic([history['id']])).toHaveLength(0);
  });

  it('does not move the cursor when Kafka refuses the page', async () => {
    const { poller } = await start({
      POLLER_TOPIC: `${topic}.missing`,
      KAFKA_CREATE_TOPICS: 'false',
      PUBLISH_TIMEOUT_MS: '1500',
    });
    const before = s.platform.storedEventCount;
    s.platform.publishEvent(brokerEvent(), new Date(now - 60_000));
    expect(s.platform.storedEventCount).toBe(before + 1);
    const [first] = await poller.pollNow();
    expect(first.outcome).toBe('kafka_error');
    const [second] = await poller.pollNow();
    expect(second.outcome).toBe('kafka_error');
    expect(second.cursor).toBe('0');
  });

  it('cannot poll without a subject filter by accident: an empty page of events it may not read would stall it', async () => {
    // Altinn filters GET /events by authorization *after* the page LIMIT: a page of others' events is empty.
    const stallResource = `stall-${run}`;
    const urn = `urn:altinn:resource:${stallResource}`;
    const other = brokerEvent({ resource: urn, subject: 'urn:altinn:organization:identifier-no:310000002' });
    const ours = brokerEvent({ resource: urn });
    for (const e of [other, { ...other, id: randomUUID() }, { ...other, id: randomUUID() }, ours])
      s.platform.publishEvent(e, new Date(now - 60_000));

    const base = {
      ...s.env,
      KAFKA_BROKERS: brokers,
      POLL_RESOURCES: stallResource,
    };
    expect(() => loadPollerConfig(base)).toThrow(
      /POLL_ORGANISATION_NUMBER: is required \(set POLL_WITHOUT_SUBJECT_FILTER=true only if/,
    );

    // Opted out on purpose: the poller reads an empty page, and says that it makes no progress.
    const blind = await start({
      POLL_RESOURCES: stallResource,
      POLL_ORGANISATION_NUMBER: '',
      POLL_WITHOUT_SUBJECT_FILTER: 'true',
      POLL_PAGE_SIZE: '3',
      POLL_STALL_AFTER_SECONDS: '1',
    });
    expect((await blind.poller.pollNow())[0]).toMatchObject({ outcome: 'ok', published: 0, cursor: '0' });
    await until('the poller reports no progress', async () => {
      const ready = await blind.app.inject({ method: 'GET', url: '/health/ready' });
      return (ready.json() as { checks: Record<string, boolean> }).checks['progress'] === false;
    });
    const metrics = (await blind.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`poller_stalled{resource="${urn}",service="poller"} 1`);
    expect(metrics).toMatch(
      new RegExp(`poller_cursor_moved_timestamp_seconds\\{resource="${urn}",service="poller"\\} \\d+`),
    );

    // With the subject filter the same query reaches our event.
    const narrowed = await start({ POLL_RESOURCES: stallResource, POLL_STALL_AFTER_SECONDS: '1' });
    expect((await narrowed.poller.pollNow())[0]).toMatchObject({ published: 1, cursor: ours['id'] });
    const ready = await narrowed.app.inject({ method: 'GET', url: '/health/ready' });
    expect((ready.json() as { checks: Record<string, boolean> }).checks['progress']).toBe(true);
  });

  it('fails fast on a bad configuration, naming each variable', () => {
    expect(() => loadPollerConfig({ KAFKA_BROKERS: brokers, POLL_RESOURCES: 'Bad Resource' })).toThrow(
      /POLL_RESOURCES: item 1 "Bad Resource" is not a lowercase/,
    );
    expect(() => loadPollerConfig({ KAFKA_BROKERS: brokers, POLL_RESOURCES: RESOURCE_ID })).toThrow(
      /MASKINPORTEN_CLIENT_ID: no way to authenticate/,
    );
    expect(() =>
      loadPollerConfig({
        ...s.env,
        KAFKA_BROKERS: brokers,
        POLL_RESOURCES: RESOURCE_ID,
        MASKINPORTEN_PRIVATE_KEY: 'nope',
      }),
    ).toThrow(/MASKINPORTEN_PRIVATE_KEY: is not a readable RSA private key/);
  });
});
