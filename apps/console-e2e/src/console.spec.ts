import { randomUUID } from 'node:crypto';
import { BrokerEventType } from '@broker-events/contracts';
import { sampleEventBody } from '@broker-events/contracts/testing';
import { freePort, until } from '@broker-events/testing';
import type { Browser, Page } from 'playwright-core';
import { LAPTOP, PHONE, axeViolations, launchChromium, screenshot, signIn } from './support/browser';
import { ConsoleSystem } from './support/system';

/**
 * The web console in a real Chromium against the real system: gateway → Kafka → archive and email → console, with
 * an OpenID login at the local provider. Events go in through the gateway's webhook, as Altinn sends them.
 */
const brokers = process.env['KAFKA_BROKERS'] ?? '';
const system = new ConsoleSystem(brokers);
let browser: Browser;

const SENDER = '991825827';
const RECIPIENT_A = '312000008';
const RECIPIENT_B = '310000001';

function event(
  type: string,
  fileTransferId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return sampleEventBody({
    id: randomUUID(),
    type,
    time: new Date().toISOString(),
    resource: system.resource,
    resourceinstance: fileTransferId,
    ...extra,
  });
}

const forRecipient = (org: string): Record<string, unknown> => ({
  subject: `urn:altinn:organization:identifier-no:${org}`,
  data: { Role: 'Recipient' },
});

async function reloadUntil(
  page: Page,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    what,
    async () => {
      if (await check()) return true;
      await page.reload();
      return false;
    },
    timeoutMs,
    500,
  );
}

beforeAll(async () => {
  expect(brokers).not.toBe('');
  await system.start().catch((error: unknown) => {
    throw new Error(`${String(error)}\n${system.output()}`);
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await system.stop();
}, 60_000);

describe('access', () => {
  it('shows nothing to someone not signed in: pages lead to the login, the live feed and changes answer 401', async () => {
    for (const path of ['/transfers', '/transfers/x', '/attention', '/dead-letters', '/audit']) {
      const res = await fetch(system.consoleUrl + path, { redirect: 'manual' });
      expect([path, res.status, res.headers.get('location')]).toEqual([
        path,
        302,
        `/auth/login?returnTo=${encodeURIComponent(path)}`,
      ]);
      expect(await res.text()).toBe('');
    }
    const live = await fetch(`${system.consoleUrl}/live/stream`);
    expect(live.status).toBe(401);
    const post = await fetch(`${system.consoleUrl}/dead-letters/${system.emailConsumer}/redrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: system.consoleUrl },
      body: 'sel=0:0',
    });
    expect(post.status).toBe(401);
    // The login itself goes to the provider with PKCE.
    const login = await fetch(`${system.consoleUrl}/auth/login`, { redirect: 'manual' });
    expect(login.headers.get('location')).toMatch(
      new RegExp(`^${system.issuer}/auth\\?.*code_challenge_method=S256`),
    );
  });

  it('lets a signed-in user without a console role see nothing either', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'nobody');
    try {
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not allowed');
      const res = await page.request.get(`${system.consoleUrl}/transfers`, { maxRedirects: 0 });
      expect(res.status()).toBe(302);
    } finally {
      await context.close();
    }
  });

  it('accepts the trusted header of an authenticating proxy only when configured', async () => {
    const port = await freePort();
    const proxied = await system.startConsole(port, system.archiveUrl, {
      CONSOLE_TRUSTED_HEADER_USER: 'X-Auth-Request-Email',
      CONSOLE_TRUSTED_HEADER_GROUPS: 'X-Auth-Request-Groups',
    });
    try {
      const asViewer = await fetch(`${proxied.url}/dead-letters`, {
        headers: {
          'x-auth-request-email': 'kari@example.no',
          'x-auth-request-groups': 'staff,broker-events-viewer',
        },
      });
      expect(asViewer.status).toBe(200);
      const text = await asViewer.text();
      expect(text).toContain('kari@example.no');
      expect(text).not.toContain('name="sel"');
      const noGroup = await fetch(`${proxied.url}/dead-letters`, {
        headers: { 'x-auth-request-email': 'kari@example.no' },
      });
      expect(noGroup.status).toBe(403);
      const none = await fetch(`${proxied.url}/dead-letters`, { redirect: 'manual' });
      expect(none.status).toBe(302);
      // The OpenID console ignores the header.
      const ignored = await fetch(`${system.consoleUrl}/dead-letters`, {
        redirect: 'manual',
        headers: {
          'x-auth-request-email': 'kari@example.no',
          'x-auth-request-groups': 'broker-events-operator',
        },
      });
      expect(ignored.status).toBe(302);
    } finally {
      await proxied.stop();
    }
  });
});

describe('dead letters', () => {
  const transfer = randomUUID();

  it('shows a permanent failure as a dead letter; an operator fixes the cause and re-drives it from the browser with the keyboard', async () => {
    system.smtp.rejecting = true;
    await system.post(
      event(BrokerEventType.UploadFailed, transfer, {
        data: { Role: 'Sender' },
        subject: `urn:altinn:organization:identifier-no:${SENDER}`,
      }),
    );
    const { context, page } = await signIn(browser, system.consoleUrl, 'operator', {
      path: `/dead-letters?consumer=${system.emailConsumer}`,
    });
    try {
      const row = page.locator('tr', { hasText: transfer });
      await reloadUntil(
        page,
        'the dead letter in the console',
        async () => (await row.count()) === 1,
        45_000,
      );
      await expect(row.textContent()).resolves.toMatch(
        /no\.altinn\.broker\.uploadfailed.*permanent.*does not exist/s,
      );
      expect(system.smtp.deliveredFor(transfer)).toBe(0);

      const timeline = async (): Promise<string> =>
        (
          await page.request.get(`${system.consoleUrl}/transfers/${transfer}`, {
            headers: { 'accept-language': 'en' },
          })
        ).text();
      let last = '';
      await until('the dead-lettered delivery on the timeline', async () =>
        (last = await timeline()).includes(`${system.emailConsumer}: failed, dead-lettered`),
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${last.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')}`);
      });

      // Fix the cause: the mail server accepts mail again.
      system.smtp.rejecting = false;

      // Keyboard only: focus, Space, Enter.
      const box = row.getByRole('checkbox');
      await box.focus();
      await page.keyboard.press('Space');
      await expect(box.isChecked()).resolves.toBe(true);
      await page.getByRole('button', { name: 'Re-drive selected…' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/confirm$/);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Confirm re-drive');
      await expect(page.locator('main').textContent()).resolves.toContain(transfer);
      expect(system.smtp.deliveredFor(transfer)).toBe(0);
      await page.getByRole('button', { name: 'Yes, re-drive' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/done=1/);
      await expect(page.getByRole('status').textContent()).resolves.toContain(
        `Re-drove 1 dead letter of ${system.emailConsumer}`,
      );

      await until('the re-driven mail to arrive', () => system.smtp.deliveredFor(transfer) === 1, 30_000);
      await expect(page.locator('tr', { hasText: transfer }).textContent()).resolves.toMatch(
        /re-driven by Ola Operator/,
      );

      await page.goto(`${system.consoleUrl}/audit`);
      const entry = page.locator('tbody tr').first();
      await expect(entry.textContent()).resolves.toMatch(
        new RegExp(`Ola Operator.*re-drive of 1 dead letter of ${system.emailConsumer}.*done`, 's'),
      );
      // The transfer's timeline says the mail went out, and still shows that it was dead-lettered first.
      await page.goto(`${system.consoleUrl}/transfers/${transfer}`);
      await reloadUntil(page, 'the re-driven delivery on the timeline', async () =>
        ((await page.locator('ol.timeline').textContent()) ?? '').includes(`${system.emailConsumer}: done`),
      );
      expect(await page.locator('ol.timeline').textContent()).toMatch(
        new RegExp(`${system.emailConsumer}: failed, dead-lettered`),
      );
      // Once re-driven it is not offered again.
      await page.goto(`${system.consoleUrl}/dead-letters?consumer=${system.emailConsumer}`);
      expect(await page.locator('tr', { hasText: transfer }).count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('refuses a change without the CSRF token or from another origin', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'operator', { path: '/dead-letters' });
    try {
      const token = await page.locator('input[name="_csrf"]').first().inputValue();
      const url = `${system.consoleUrl}/dead-letters/${system.emailConsumer}/confirm`;
      const form = (csrf: string) => ({ _csrf: csrf, scope: 'all' });
      expect(
        (
          await page.request.post(url, { form: form('wrong'), headers: { origin: system.consoleUrl } })
        ).status(),
      ).toBe(403);
      expect(
        (
          await page.request.post(url, { form: form(token), headers: { origin: 'http://evil.example' } })
        ).status(),
      ).toBe(403);
      const ok = await page.request.post(url, { form: form(token), headers: { origin: system.consoleUrl } });
      expect([200, 400]).toContain(ok.status()); // 400 when nothing is waiting: the check passed
    } finally {
      await context.close();
    }
  });

  it('lets a viewer read dead letters but not re-drive them', async () => {
    system.smtp.rejecting = true;
    const other = randomUUID();
    await system.post(
      event(BrokerEventType.UploadFailed, other, {
        data: { Role: 'Sender' },
        subject: `urn:altinn:organization:identifier-no:${SENDER}`,
      }),
    );
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer', {
      path: `/dead-letters?consumer=${system.emailConsumer}`,
    });
    try {
      await reloadUntil(
        page,
        'the dead letter in the console',
        async () => (await page.locator('tr', { hasText: other }).count()) === 1,
        45_000,
      );
      expect(await page.getByRole('checkbox').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Re-drive/ }).count()).toBe(0);
      await expect(page.locator('main').textContent()).resolves.toContain(
        'Only operators can re-drive dead letters.',
      );
      const token = await page.locator('input[name="_csrf"]').first().inputValue();
      const before = system.smtp.delivered.length;
      for (const action of ['confirm', 'redrive']) {
        const res = await page.request.post(
          `${system.consoleUrl}/dead-letters/${system.emailConsumer}/${action}`,
          {
            form: { _csrf: token, sel: '0:0', scope: 'all' },
            headers: { origin: system.consoleUrl },
          },
        );
        expect([action, res.status()]).toEqual([action, 403]);
      }
      await page.goto(`${system.consoleUrl}/audit`);
      await expect(page.locator('main').textContent()).resolves.not.toContain('Vera Viewer');
      expect(system.smtp.delivered.length).toBe(before);
    } finally {
      system.smtp.rejecting = false;
      await context.close();
    }
  }, 120_000);
});

describe('live', () => {
  it('shows a new event on the transfers page without reloading', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer');
    try {
      await page.locator('[data-live-state="open"]').waitFor();
      await page.evaluate('window.marker = 42');
      const transfer = randomUUID();
      await system.post(
        event(BrokerEventType.FileTransferInitialized, transfer, {
          data: { Role: 'Sender' },
          subject: `urn:altinn:organization:identifier-no:${SENDER}`,
        }),
      );
      await page.locator('.live-list li', { hasText: transfer }).waitFor({ timeout: 30_000 });
      expect(await page.evaluate('window.marker')).toBe(42);
      await expect(
        page.locator('.live-list li', { hasText: transfer }).getByRole('link').getAttribute('href'),
      ).resolves.toBe(`/transfers/${transfer}`);
    } finally {
      await context.close();
    }
  });
});

describe('transfers and timelines (the archive read API)', () => {
  const transfer = randomUUID();

  beforeAll(async () => {
    await system.post(event(BrokerEventType.Published, transfer, forRecipient(RECIPIENT_A)));
    await system.post(event(BrokerEventType.Published, transfer, forRecipient(RECIPIENT_B)));
    await system.post(event(BrokerEventType.DownloadConfirmed, transfer, forRecipient(RECIPIENT_A)));
  });

  it('finds the transfer by id and by organisation, with its state in words', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer');
    try {
      await page.getByLabel('File transfer id').fill(transfer);
      await page.getByRole('button', { name: 'Search' }).press('Enter');
      const row = page.locator('tbody tr', { hasText: transfer });
      await reloadUntil(page, 'the transfer in the search', async () =>
        /1 of 2 recipients confirmed/.test((await row.textContent().catch(() => '')) ?? ''),
      );
      await page.goto(`${system.consoleUrl}/transfers?org=${RECIPIENT_B}`);
      await expect(page.locator('tbody').textContent()).resolves.toContain(transfer);
    } finally {
      await context.close();
    }
  });

  it('shows every event in order with role and time, and what each consumer did; a new event appears without reloading', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer', {
      path: `/transfers/${transfer}`,
    });
    try {
      const events = page.locator('ol.timeline > li');
      await reloadUntil(
        page,
        'three events, each archived and mailed',
        async () =>
          (await events.count()) === 3 &&
          (await events.filter({ hasText: `${system.archiveConsumer}: done — archived` }).count()) === 3 &&
          (await events.filter({ hasText: `${system.emailConsumer}: done` }).count()) === 3,
      );
      await expect(page.locator('.state').textContent()).resolves.toBe(
        'published, 1 of 2 recipients confirmed',
      );
      const types = await events.locator('.type').allTextContents();
      expect(types).toEqual([
        BrokerEventType.Published,
        BrokerEventType.Published,
        BrokerEventType.DownloadConfirmed,
      ]);
      await expect(events.first().locator('.meta').textContent()).resolves.toMatch(/Role: Recipient/);

      await page.locator('[data-live-state="open"]').waitFor();
      await page.evaluate('window.marker = 7');
      await system.post(event(BrokerEventType.DownloadConfirmed, transfer, forRecipient(RECIPIENT_B)));
      await until('the fourth event without a reload', async () => (await events.count()) === 4, 30_000);
      expect(await page.evaluate('window.marker')).toBe(7);
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe('needs attention', () => {
  it('shows the stalled poller, the quarantined body and the dead letters', async () => {
    const marker = `not-an-event-${randomUUID()}`;
    expect(await system.postInvalid(JSON.stringify({ hello: marker }))).toBe(400);
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer', { path: '/attention' });
    try {
      await reloadUntil(page, 'the quarantined body', async () =>
        ((await page.locator('main').textContent()) ?? '').includes(marker),
      );
      const main = (await page.locator('main').textContent()) ?? '';
      expect(main).toContain(`Not moving for console-e2e-${system.run} since`);
      expect(main).toContain('The poller is not ready.');
      expect(main).toMatch(new RegExp(`${system.emailConsumer}: [1-9]\\d* dead letter`));
    } finally {
      await context.close();
    }
  });
});

describe('language, time zone and accessibility', () => {
  it('speaks bokmål by Accept-Language, switches to English, and shows Oslo time', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer', {
      locale: 'nb-NO',
      path: '/audit',
    });
    try {
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Revisjonslogg');
      await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nb');
      await page.getByRole('link', { name: 'English' }).press('Enter');
      await page.waitForURL(`${system.consoleUrl}/audit`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Audit log');
      await page.goto(`${system.consoleUrl}/transfers`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Transfers');
    } finally {
      await context.close();
    }
  });

  it('starts with a skip link that moves the focus to the content', async () => {
    const { context, page } = await signIn(browser, system.consoleUrl, 'viewer');
    try {
      await page.keyboard.press('Tab');
      await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
      await page.keyboard.press('Enter');
      await expect(page.evaluate('document.activeElement.id')).resolves.toBe('main');
    } finally {
      await context.close();
    }
  });

  it('has no WCAG 2.1 AA violations on any main page, on a laptop and a phone (and takes the screenshots)', async () => {
    // A dead letter to show, waiting.
    system.smtp.rejecting = true;
    const failing = randomUUID();
    await system.post(
      event(BrokerEventType.UploadFailed, failing, {
        data: { Role: 'Sender' },
        subject: `urn:altinn:organization:identifier-no:${SENDER}`,
      }),
    );
    const timelineTransfer = randomUUID();
    await system.post(event(BrokerEventType.Published, timelineTransfer, forRecipient(RECIPIENT_A)));
    await system.post(event(BrokerEventType.Published, timelineTransfer, forRecipient(RECIPIENT_B)));
    await system.post(event(BrokerEventType.DownloadConfirmed, timelineTransfer, forRecipient(RECIPIENT_A)));
    const found: Record<string, unknown> = {};
    for (const [device, viewport] of [
      ['laptop', LAPTOP],
      ['phone', PHONE],
    ] as const) {
      const { context, page } = await signIn(browser, system.consoleUrl, 'operator', {
        viewport,
        path: `/dead-letters?consumer=${system.emailConsumer}`,
      });
      try {
        await reloadUntil(
          page,
          'the dead letter',
          async () => (await page.locator('tr', { hasText: failing }).count()) === 1,
          45_000,
        );
        const pages: [string, string][] = [
          ['transfers', '/transfers'],
          ['timeline', `/transfers/${timelineTransfer}`],
          ['attention', '/attention'],
          ['dead-letters', `/dead-letters?consumer=${system.emailConsumer}`],
          ['audit', '/audit'],
        ];
        for (const [name, path] of pages) {
          await page.goto(system.consoleUrl + path);
          if (name === 'timeline')
            await reloadUntil(
              page,
              'the timeline',
              async () => (await page.locator('ol.timeline > li').count()) === 3,
            );
          found[`${name} ${device}`] = await axeViolations(page);
          if (name !== 'audit') await screenshot(page, `${name}-${device}`, system.tmp);
        }
        // The confirmation step too.
        await page.goto(`${system.consoleUrl}/dead-letters?consumer=${system.emailConsumer}`);
        await page.locator('tr', { hasText: failing }).getByRole('checkbox').check();
        await page.getByRole('button', { name: 'Re-drive selected…' }).click();
        await page.waitForURL(/\/confirm$/);
        found[`confirm ${device}`] = await axeViolations(page);
        // Signed out, and the local provider's login form is not ours to check; the console's signed-out page is.
        await page.goto(`${system.consoleUrl}/auth/signed-out`);
        found[`signed-out ${device}`] = await axeViolations(page);
      } finally {
        await context.close();
      }
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    system.smtp.rejecting = false;
  }, 180_000);
});
