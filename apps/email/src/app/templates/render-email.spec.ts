import { AltinnCloudEvent, BrokerEventType, CURRENT_BROKER_EVENT_TYPES } from '@broker-events/contracts';
import { sampleEvent } from '@broker-events/contracts/testing';
import { EMAIL_TEMPLATES } from './email-templates';
import { osloTime, renderEmail } from './render-email';

describe('renderEmail', () => {
  it('has a bokmål and an English template for every Broker event type', () => {
    for (const type of [...CURRENT_BROKER_EVENT_TYPES, BrokerEventType.FileDeleted]) {
      expect(EMAIL_TEMPLATES[type]?.nb.subject).toBeTruthy();
      expect(EMAIL_TEMPLATES[type]?.en.happened).toBeTruthy();
    }
  });

  it('says what happened with the file transfer id, resource, role and time in Europe/Oslo', () => {
    const event = sampleEvent({ time: '2026-11-20T09:00:12.251000Z' });
    const nb = renderEmail(event, event.type, ['nb']);
    expect(nb.subject).toBe('Altinn Formidling: Fil klar til nedlasting (altinn-broker-test-resource-1)');
    expect(nb.text).toMatch(new RegExp(`^Filoverførings-ID: +${event.resourceinstance}$`, 'm'));
    expect(nb.text).toMatch(/^Rolle: +Mottaker$/m);
    expect(nb.text).toMatch(/^Organisasjonsnummer: +312000008$/m);
    expect(nb.text).toContain('20. november 2026 kl. 10:00:12 (norsk tid)');
    expect(nb.html).toContain(`<code>${event.resourceinstance}</code>`);

    const en = renderEmail(event, event.type, ['en']);
    expect(en.subject).toBe('Altinn Broker: File ready for download (altinn-broker-test-resource-1)');
    expect(en.text).toMatch(/^Role: +Recipient$/m);
    expect(en.text).toContain('20 November 2026 at 10:00:12 (Oslo time)');

    const both = renderEmail(event, event.type, ['nb', 'en']);
    expect(both.subject).toBe(
      'Altinn Formidling: Fil klar til nedlasting (altinn-broker-test-resource-1) / File ready for download (altinn-broker-test-resource-1)',
    );
    expect(both.html.indexOf('lang="nb"')).toBeLessThan(both.html.indexOf('lang="en"'));
  });

  it('uses summer time in summer', () => {
    expect(osloTime('2026-07-01T10:00:00Z', 'en')).toBe('1 July 2026 at 12:00:00 (Oslo time)');
  });

  it('lets no field value inject a header, a line or markup', () => {
    // Built by hand, bypassing the parser, to prove the renderer does not rely on validation alone.
    const event = Object.assign(new AltinnCloudEvent(), {
      specversion: '1.0',
      id: 'x\r\nBcc: victim@example.com\r\n\r\n<img src=x onerror=alert(1)>',
      source: 'https://example.com',
      type: 'no.altinn.broker.published',
      resource: 'urn:altinn:resource:evil\r\nX-Injected: yes<script>alert(1)</script>',
      resourceinstance: '<b>bold</b>\u2028line',
      subject: 'urn:altinn:organization:identifier-no:312000008',
      data: { Role: 'Recipient' },
    } as Partial<AltinnCloudEvent>);
    const mail = renderEmail(event, 'no.altinn.broker.published', ['nb', 'en']);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('evil X-Injected: yes<script>');
    expect(mail.text).not.toMatch(/^Bcc:/m);
    expect(mail.text).not.toMatch(/^X-Injected/m);
    expect(mail.html).not.toMatch(/<script|<img|<b>/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;b&gt;bold&lt;/b&gt; line');
  });

  it('has a readable fallback for Broker types it does not know', () => {
    const event = sampleEvent({ type: 'no.altinn.broker.somethingnew' });
    expect(renderEmail(event, event.type, ['en']).subject).toBe(
      'Altinn Broker: Altinn Broker event: no.altinn.broker.somethingnew',
    );
  });
});
