import { randomBytes } from 'node:crypto';
import { dropSchema, runSoak, soakProblems } from '@broker-events/soak';

/**
 * The short soak: a steady 50 events/s through the gateway for a minute, then every event counted in the
 * archive by id. The same accounting as `npm run soak` (tools/soak), which holds a rate for many minutes.
 */
const PG = process.env['SYSTEM_E2E_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sys_soak_${randomBytes(3).toString('hex')}`;

afterAll(() => dropSchema(PG, schema));

it('holds 50 events/s for a minute: nothing lost, nothing archived twice, nothing stuck', async () => {
  const report = await runSoak({
    durationMs: 60_000,
    rate: 50,
    archiveDb: { kind: 'postgres', url: PG, schema },
    settleTimeoutMs: 45_000,
  });
  expect(soakProblems(report)).toEqual([]);
  const r = report.reconciliation;
  expect(r.sent).toBeGreaterThanOrEqual(2500);
  expect(r.accepted).toBe(r.sent);
  expect(r.lost).toEqual([]);
  expect(r.duplicated).toEqual([]);
  expect(report.settlement).toMatchObject({ sourceLag: 0, retryLag: 0, deadLettered: 0 });
}, 170_000);
