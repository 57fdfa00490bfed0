import { CURRENT_BROKER_EVENT_TYPES } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { SLACK_TYPE_STYLE, slackMessage } from './slack-blocks';

describe('slackMessage', () => {
  it('has a look for every Broker event type', () => {
    for (const type of CURRENT_BROKER_EVENT_TYPES) expect(SLACK_TYPE_STYLE[type]).toBeDefined();
  });

  it('is readable at a glance: emoji and title, what happened, the key fields, type and id', () => {
    const event = sampleEvent({ time: '2026-11-20T09:00:12Z' });
    const message = slackMessage(event, event.type, 'en');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':package: File ready for download', emoji: true },
    });
    const fields = (message.blocks[2] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      `*File transfer*\n\`${event.resourceinstance}\``,
      '*Resource*\n`altinn-broker-test-resource-1`',
      '*Role*\nRecipient',
      '*Organisation*\n`312000008`',
      '*Time*\n20 Nov 2026, 10:00:12 (Oslo time)',
    ]);
    expect(message.text).toBe(
      `File ready for download: altinn-broker-test-resource-1 (${event.resourceinstance})`,
    );
    expect(JSON.stringify(message)).not.toContain('"specversion"');
    const nb = slackMessage(event, event.type, 'nb');
    expect((nb.blocks[0] as { text: { text: string } }).text.text).toBe(':package: Fil klar til nedlasting');
  });

  it('escapes Slack control characters so a value cannot mention, link or format', () => {
    const event = sampleEvent({ id: '<!channel> <https://evil.example|click> & `x` *y*' });
    const context = JSON.stringify(slackMessage(event, event.type, 'en').blocks[3]);
    expect(context).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; ˋxˋ *y*');
    expect(context).not.toMatch(/<!channel>|<https/);
  });
});
