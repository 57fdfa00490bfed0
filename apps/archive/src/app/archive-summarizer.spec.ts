import { randomUUID } from 'node:crypto';
import { canonicalEventType } from '@broker-events/contracts';
import { loadSample, sampleEvent } from '@broker-events/contracts/testing';
import { createLogger } from '@broker-events/observability';
import { Registry } from 'prom-client';
import { ArchiveSummarizer } from './archive-summarizer';
import { toArchiveRow } from './store/archive-store';
import { SqliteArchiveStore } from './store/sqlite-archive.store';

describe('ArchiveSummarizer', () => {
  const store = new SqliteArchiveStore(':memory:');
  const registry = new Registry();
  const summarizer = new ArchiveSummarizer(
    store,
    { intervalMs: 20, batch: 2, lagWarnSeconds: 30 },
    registry,
    createLogger('archive-test', 'silent'),
  );
  beforeAll(() => store.migrate());
  afterAll(async () => {
    await summarizer.stop();
    await store.close();
  });

  it('brings every touched transfer into the read model in chunks and reports the lag as gauges', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    await store.insertBatch(
      ids.map((t) => {
        const body = loadSample('current-published-sender').body as Record<string, unknown>;
        const event = sampleEvent({ ...body, id: randomUUID(), resourceinstance: t });
        return toArchiveRow(
          event,
          canonicalEventType(event.type),
          { topic: 'altinn.broker.events.v1', partition: 0, offset: '1' },
          new Date(),
        );
      }),
    );
    expect((await store.summaryLag()).dirtyTransfers).toBe(5);
    summarizer.start();
    // Eventually consistent: poll for the exact condition, every transfer summarised.
    for (;;) {
      const found = await Promise.all(ids.map((t) => store.transfer(t)));
      if (found.every((t) => t?.state.phase === 'published')) break;
      await new Promise((r) => setImmediate(r));
    }
    // The gauges are set after the round that emptied the table; the next round confirms it.
    expect(await summarizer.runOnce()).toBe(0);
    const dirty = (await registry.getSingleMetric('archive_summary_dirty_transfers')?.get())?.values[0]
      ?.value;
    expect(dirty).toBe(0);
    expect(summarizer.note()).toBeUndefined();
  });
});
