// Browser helpers for tests/browser: Debian's chromium driven by
// playwright-core, one fresh profile per launch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

import { SOURCE_DIR } from './server.mjs';

const require = createRequire(path.join(SOURCE_DIR, 'package.json'));
const { chromium } = require('playwright-core');

export const AXE_PATH = require.resolve('axe-core/axe.min.js');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Launches chromium with a fresh profile folder. opts go to
 * launchPersistentContext (viewport, bypassCSP, timezoneId: the browser
 * runs in the machine's zone, UTC here, unless given one). Returns
 * {context, page, close()}; close() also removes the profile.
 */
export async function launchBrowser(opts = {}) {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      ...opts,
    });
  } catch (e) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  watch(page, problems);
  context.on('page', (p) => watch(p, problems));
  return {
    context,
    page,
    /** Page errors (uncaught exceptions) seen on any page so far. */
    problems,
    async close() {
      await context.close().catch(() => {});
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Accepts every dialog (golf content asks confirm() on resume; Playwright
 * would dismiss it) and records uncaught page errors in problems.
 */
export function watch(page, problems = []) {
  page.on('dialog', (d) => {
    page.dialogs = [...(page.dialogs || []), d.message()];
    d.accept().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  if (process.env.CAIRN_TEST_CONSOLE)
    page.on('console', (m) => console.log(`[console ${m.type()}] ${m.text()}`));
  return page;
}

/** Signs in on login.html like a person and waits for the page it leads to. */
export async function signIn(page, baseUrl, email, password, landing = /\/(training|dashboard)\.html/) {
  await page.goto(`${baseUrl}/login.html`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(landing);
}

/**
 * Makes the browser forget who is signed in, before someone else signs in:
 * leaves the current page first, so that none of its requests still in
 * flight (answered 401 once the cookies are gone) sends the tab to the
 * sign-in page, with ?next= its own page, in the middle of the next
 * sign-in; then clears the cookies.
 */
export async function forgetUser(page) {
  await page.goto('about:blank');
  await page.context().clearCookies();
}

/** Polls fn until it returns a truthy value (or throws after timeoutMs). */
export async function eventually(fn, { timeoutMs = 10000, intervalMs = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last)
        return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`${what} not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The player's content frame and, for golf single-SCO content, its inner page frame. */
export function playerFrames(page) {
  const content = page.frameLocator('#content-frame');
  return { content, inner: content.frameLocator('#contentFrame') };
}
