import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { REPO_ROOT } from '@broker-events/testing';

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Debian's Chromium, driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}

export async function newPage(
  browser: Browser,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-GB',
    viewport: options.viewport ?? LAPTOP,
    timezoneId: 'America/New_York', // the console must show Oslo time whatever the browser's zone
  });
  return { context, page: await context.newPage() };
}

/** Opens `path` on the console, signs in at the local provider as `user` (password = name), and lands on `path`. */
export async function signIn(
  browser: Browser,
  consoleUrl: string,
  user: 'viewer' | 'operator' | 'nobody',
  options: { locale?: string; viewport?: { width: number; height: number }; path?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const { context, page } = await newPage(browser, options);
  const path = options.path ?? '/transfers';
  await page.goto(consoleUrl + path);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
  if (user !== 'nobody') await page.waitForURL(consoleUrl + path);
  else await page.waitForURL(`${consoleUrl}/auth/callback**`);
  return { context, page };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page with the WCAG 2.1 A and AA rules; returns the violations (none expected). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the console's CSP (script-src 'self') does not block it.
  await page.evaluate(axe.source);
  const violations = (await page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) })))`)) as AxeViolation[];
  return violations;
}

/**
 * A screenshot of what the screen shows (the top of the page, as a person first sees it). Written to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (then committed), else to the
 * system's temp folder, so an ordinary test run leaves the tree clean.
 */
export async function screenshot(page: Page, name: string, tmp: string): Promise<string> {
  const dir =
    process.env['UPDATE_SCREENSHOTS'] === '1'
      ? join(REPO_ROOT, 'docs/screenshots')
      : join(tmp, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
