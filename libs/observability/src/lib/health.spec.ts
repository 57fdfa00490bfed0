import { Writable } from 'node:stream';
import { HealthRegistry } from './health';
import { createLogger } from './logger';

describe('HealthRegistry', () => {
  it('is ready only when every registered check passes', async () => {
    const health = new HealthRegistry();
    let kafka = true;
    health.register('kafka', () => kafka);
    health.register('db', async () => true);
    expect(await health.readiness()).toEqual({ ready: true, checks: { kafka: true, db: true } });
    kafka = false;
    expect(await health.readiness()).toEqual({ ready: false, checks: { kafka: false, db: true } });
  });

  it('treats a throwing check as not ready and reports shutdown', async () => {
    const health = new HealthRegistry();
    health.register('broken', () => {
      throw new Error('boom');
    });
    expect((await health.readiness()).checks).toEqual({ broken: false });
    const ok = new HealthRegistry();
    ok.markShuttingDown();
    expect(await ok.readiness()).toEqual({ ready: false, checks: { shutdown: false } });
  });

  it('adds the notes that have something to say, without changing readiness', async () => {
    const health = new HealthRegistry();
    const said: { text?: string } = {};
    health.register('kafka', () => true);
    health.registerNote('sources', () => said.text);
    expect(await health.readiness()).toEqual({ ready: true, checks: { kafka: true } });
    said.text = 'every request refused';
    expect(await health.readiness()).toEqual({
      ready: true,
      checks: { kafka: true },
      notes: { sources: 'every request refused' },
    });
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with service, level and message, and redacts secret fields', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger('gateway', 'info', sink);
    logger.info({ eventId: 'e1', token: 'supersecret', req: { url: '/altinn/events/supersecret' } }, 'hello');
    const record = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(record).toMatchObject({ service: 'gateway', level: 'info', message: 'hello', eventId: 'e1' });
    expect(lines[0]).not.toContain('supersecret');
  });
});
