import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALTINN_ENVIRONMENTS,
  BrokerEventType,
  EVENT_CATALOG,
  HEADERS,
  TOPICS,
  brokerSubscriptions,
  deadLetterTopic,
  retryTopic,
} from './index';

/** The README is documentation other teams rely on: these checks keep its tables and example true. */
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

/** Every Markdown table row as trimmed cells (Prettier pads tables, so compare cells, not raw lines). */
const rows: string[][] = readme
  .split('\n')
  .filter((line) => line.trim().startsWith('|'))
  .map((line) =>
    line
      .trim()
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim()),
  );
const firstCells = new Set(rows.map((r) => r[0]));

describe('README.md', () => {
  it.each(EVENT_CATALOG.map((i) => [i.type, i] as const))(
    'lists %s in the event catalog table',
    (_type, info) => {
      const row = [
        `\`${info.type}\``,
        info.audience,
        info.retired ? 'yes' : 'no',
        info.title.nb,
        info.title.en,
      ];
      expect(rows).toContainEqual(row);
    },
  );

  it.each(Object.entries(HEADERS))('documents header %s (%s) in the header table', (_key, name) => {
    expect(firstCells).toContain(`\`${name}\``);
  });

  it('lists the topics', () => {
    for (const topic of [TOPICS.events, TOPICS.quarantine, TOPICS.deliveries])
      expect(firstCells).toContain(`\`${topic}\``);
    expect(retryTopic('x').replace(/x$/, '<consumer>')).toBe('altinn.broker.retry.v1.<consumer>');
    expect(firstCells).toContain('`altinn.broker.retry.v1.<consumer>`');
    expect(deadLetterTopic('x').replace(/x$/, '<consumer>')).toBe('altinn.broker.dlq.v1.<consumer>');
    expect(firstCells).toContain('`altinn.broker.dlq.v1.<consumer>`');
  });

  it('states the push source addresses of both environments', () => {
    for (const env of Object.values(ALTINN_ENVIRONMENTS)) expect(readme).toContain(env.pushSourceCidrs[0]);
  });

  it('shows exactly what brokerSubscriptions builds for the documented options', () => {
    const marker = '<!-- brokerSubscriptions-example: checked by readme.spec.ts -->';
    const after = readme.slice(readme.indexOf(marker));
    const json = /```json\n([\s\S]*?)\n```/.exec(after)?.[1];
    expect(json).toBeDefined();
    const built = brokerSubscriptions({
      environment: 'tt02',
      resourceId: 'altinn-broker-test-resource-1',
      organisationNumber: '312000008',
      endPoint: 'https://events.example.no/altinn/events/REPLACE-WITH-SECRET-TOKEN',
      types: [BrokerEventType.Published, BrokerEventType.FileNeverConfirmedDownloaded],
    });
    expect(JSON.parse(json ?? 'null')).toEqual(built);
  });
});
