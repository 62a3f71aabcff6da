// Every page works when loaded directly (as a reload or a new tab does), with real data behind
// it: an admin with several conversations (a long reply with cited sources, knowledge bases
// attached), a knowledge base with a document, API keys. Each route is opened by URL, its
// controls must become usable, and then each page is used. Any console error fails the test
// (support/fixtures.ts). Load-to-usable times are written to test-results/hydration-<bundle>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { createUser, logIn as logInAs } from '../support/accounts';
import { expect, expectConsoleErrors, test } from '../support/fixtures';

test.describe.configure({ mode: 'serial' });

const email = `lovelace-${Date.now()}@example.com`;
const password = 'difference-engine-1837';

/** What the pages are loaded with (ids from the API). */
interface Data {
  kbId: string;
  longId: string;
  attachedId: string;
  plainId: string;
}
let data: Data;
const hydration: Record<string, number> = {};

/** A server function call with this browser context's cookies, from our origin (CSRF check). */
async function call<T>(request: APIRequestContext, baseURL: string, endpoint: string, body: object): Promise<T> {
  const res = await request.post(`/api/${endpoint}`, { data: body, headers: { Origin: baseURL } });
  expect(res.status(), `${endpoint}: ${await res.text()}`).toBe(200);
  return (await res.json()) as T;
}

interface Message { id: string; role: string; status: string; content: string; sources: unknown[] }
interface Detail { conversation: { id: string }; page: { messages: Message[] } }

/** Waits for the last reply to end; one longer than `stopAt` characters is stopped there (the
 * local model may ramble for a minute on a busy machine; a stopped reply keeps its text). */
async function waitForReply(request: APIRequestContext, baseURL: string, id: string, stopAt = 4000): Promise<Detail> {
  let detail: Detail | undefined;
  let stopped = false;
  await expect
    .poll(async () => {
      detail = await call<Detail>(request, baseURL, 'chat/get', { id });
      const last = detail.page.messages.at(-1)!;
      if (last.status === 'streaming' && last.content.length >= stopAt && !stopped) {
        stopped = true;
        await call(request, baseURL, 'chat/stop', { message_id: last.id });
      }
      return last.status;
    }, { timeout: 240_000, intervals: [250] })
    .toMatch(/^(complete|stopped)$/);
  return detail!;
}

async function startConversation(request: APIRequestContext, baseURL: string, kbIds: string[], text?: string) {
  const c = await call<{ id: string }>(request, baseURL, 'chat/create', { title: null, model: null });
  if (kbIds.length) await call(request, baseURL, 'kb/attach', { conversation_id: c.id, kb_ids: kbIds });
  if (text) await call(request, baseURL, 'chat/send', { conversation_id: c.id, content: text });
  return c.id;
}

const logIn = (page: Page) => logInAs(page, email, password);

/** Opens `path` by URL and waits until `control` is usable; records how long that took. */
async function load(page: Page, path: string, control: (p: Page) => Locator) {
  const started = Date.now();
  await page.goto(path);
  await expect(control(page)).toBeEnabled({ timeout: 10_000 });
  hydration[path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, ':id')] = Date.now() - started;
}

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(600_000);
  createUser(email, password, 'admin');
  // Someone for the admin page to manage.
  createUser(`babbage-${Date.now()}@example.com`, password);

  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page);
  const req = context.request;
  const base = baseURL!;

  // A knowledge base with one document (uploaded through the REST API, followed to the end).
  const kb = await call<{ id: string }>(req, base, 'kb/create', { name: 'Handbook' });
  const upload = await req.post(`/api/v1/knowledge-bases/${kb.id}/documents`, {
    headers: { Origin: base },
    multipart: {
      file: {
        name: 'refunds.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from(
          '# Refunds\n\nRefunds are issued within 14 days of a cancellation request. ' +
            'A refund goes back to the card used for the purchase, and banks take 5 to 10 business days to show it. ' +
            'Opened hardware can be returned for a refund within 30 days, less a restocking fee of 8%. ' +
            'Subscriptions bought through an app store are refunded by that store, not by us.\n\n' +
            '# Shipping\n\nParcels ship within 2 business days from our Lyon warehouse. ' +
            'Shipping is free in France; elsewhere in the European Union it costs 9 euros. ' +
            'Every parcel has a tracking link, sent by email on the day it ships. ' +
            'Parcels to Switzerland and Norway may be charged import duties on delivery.\n',
        ),
      },
    },
  });
  expect(upload.status(), await upload.text()).toBe(202);
  const { job_id } = (await upload.json()) as { job_id: string };
  await expect
    .poll(async () => ((await (await req.get(`/api/v1/jobs/${job_id}`)).json()) as { status: string }).status, {
      timeout: 60_000,
      intervals: [250],
    })
    .toBe('done');

  // Three conversations: a long cited reply, knowledge attached and a short exchange, plain.
  // The local model answers from knowledge bases by quoting the passages: a request to explain
  // gets every relevant sentence, each with its [n].
  const question = 'Explain our refund and shipping policies in detail, with examples.';
  const longId = await startConversation(req, base, [kb.id], question);
  const long = await waitForReply(req, base, longId, 1500);
  expect(long.page.messages.at(-1)!.content).toContain('14 days of a cancellation request. [1]');
  expect(long.page.messages.at(-1)!.sources.length).toBeGreaterThan(0);
  expect(long.page.messages.at(-1)!.content.length).toBeGreaterThan(500);
  const attachedId = await startConversation(req, base, [kb.id], 'Where do parcels ship from?');
  await waitForReply(req, base, attachedId);
  const plainId = await startConversation(req, base, [], 'Say hello.');
  await waitForReply(req, base, plainId);
  // And API keys.
  await call(req, base, 'keys/create', { name: 'ci' });
  await call(req, base, 'keys/create', { name: 'scripts' });

  data = { kbId: kb.id, longId, attachedId, plainId };
  await context.close();
});

test.afterAll(() => {
  const dir = join(__dirname, '..', 'test-results');
  const bundle = process.env.WEBPLUS_E2E_BUNDLE ?? 'dev';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `hydration-${bundle}.json`), JSON.stringify(hydration, null, 2));
  console.log(`${bundle} bundle: time until the first control is usable (ms):`, JSON.stringify(hydration));
});

test('logged-out pages load directly', async ({ page }) => {
  await load(page, '/login', (p) => p.getByTestId('submit'));
  await load(page, '/register', (p) => p.getByTestId('submit'));
  // A private page sends a visitor to the login page.
  await page.goto(`/c/${data.longId}`);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('submit')).toBeEnabled();
});

test('every private page loads directly with data', async ({ page }) => {
  await logIn(page);
  const routes: [string, (p: Page) => Locator, (p: Page) => Promise<void>][] = [
    ['/', (p) => p.getByTestId('composer'), async (p) => {
      await expect(p.getByTestId('conversation-item')).toHaveCount(3);
      await expect(p.getByTestId('logout')).toBeEnabled();
      await expect(p.getByTestId('rename-conversation').first()).toBeEnabled();
    }],
    [`/c/${data.longId}`, (p) => p.getByTestId('composer'), async (p) => {
      const reply = p.locator('[data-testid="message"][data-role="assistant"]').last();
      await expect(reply).toHaveAttribute('data-status', /^(complete|stopped)$/);
      await expect(reply.getByTestId('sources')).toBeVisible();
      await expect(p.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: 1');
    }],
    [`/c/${data.attachedId}`, (p) => p.getByTestId('send'), async (p) => {
      await expect(p.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: 1');
    }],
    [`/c/${data.plainId}`, (p) => p.getByTestId('send'), async (p) => {
      await expect(p.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: none');
    }],
    ['/kb', (p) => p.getByTestId('create-kb'), async (p) => {
      await expect(p.getByTestId('kb-row')).toHaveCount(1);
    }],
    [`/kb/${data.kbId}`, (p) => p.getByTestId('crawl-start'), async (p) => {
      await expect(p.getByTestId('document-row')).toHaveCount(1);
      await expect(p.getByTestId('job')).toHaveAttribute('data-status', 'done');
    }],
    ['/settings', (p) => p.getByTestId('create-api-key'), async (p) => {
      await expect(p.getByTestId('api-key-row')).toHaveCount(2);
    }],
    ['/admin', (p) => p.getByTestId('toggle-disabled').first(), async (p) => {
      await expect(p.getByTestId('user-row').filter({ hasText: email })).toHaveCount(1);
      await expect(p.getByTestId('signup-mode')).toBeEnabled();
    }],
    ['/admin/connections', (p) => p.getByTestId('save-connection'), async (p) => {
      await expect(p.getByTestId('connection-kind')).toBeEnabled();
      await expect(p.getByRole('heading', { name: 'Add a connection' })).toBeVisible();
    }],
    ['/admin/models', (p) => p.getByTestId('save-model'), async (p) => {
      await expect(p.getByRole('heading', { name: 'Catalog' })).toBeVisible();
      await expect(p.getByRole('heading', { name: 'Available to add' })).toBeVisible();
    }],
  ];
  for (const [path, control, check] of routes) {
    await load(page, path, control);
    await check(page);
  }
});

test('the chat loads without the other pages\' code, which comes when a page is opened', async ({ page }) => {
  await logIn(page);
  // The WASM files this page fetched (the main bundle and lazily loaded chunks: app/src/pages.rs).
  const fetched: string[] = [];
  page.on('request', (r) => {
    const m = /\/pkg\/([^/?]+\.wasm)/.exec(r.url());
    if (m) fetched.push(m[1]);
  });
  await load(page, `/c/${data.plainId}`, (p) => p.getByTestId('send'));
  expect(fetched).toContain('webplus.wasm');
  expect(fetched.filter((f) => f.startsWith('split_')), 'route chunks fetched by the chat').toEqual([]);

  // Opened from the sidebar, the pipelines page fetches its chunk and works.
  await page.getByTestId('nav-pipelines').click();
  await expect(page).toHaveURL(/\/pipelines$/);
  await expect(page.getByTestId('new-pipeline')).toBeEnabled();
  expect(fetched.some((f) => /^split___pipelines_route_view_\w+\.wasm$/.test(f)), fetched.join(' ')).toBe(true);
  expect(fetched.some((f) => f.startsWith('split___admin_route_view_')), 'the admin page is not fetched').toBe(false);

  // Loaded directly, a lazy page's HTML names its chunk, so the browser fetches it beside the
  // main bundle instead of after it.
  await load(page, '/admin', (p) => p.getByTestId('toggle-disabled').first());
  await expect(page.locator('link[rel="preload"][href*="split___admin_route_view_"]')).toHaveCount(1);

  // Loaded by several at once (each waits for its data while the others render), each page still
  // names its own chunk, once: a render that resumed under another request's reactive owner lost
  // its link or gave it to that page (server/src/middleware/reactive_owner.rs).
  const loads = await Promise.all(Array.from({ length: 6 }, () => page.request.get('/admin')));
  for (const res of loads) {
    expect(res.status()).toBe(200);
    const links = (await res.text()).match(/<link[^>]*href="[^"]*split___admin_route_view_[^"]*"[^>]*>/g) ?? [];
    expect(links, 'the admin chunk\'s preload links in one of six pages loaded at once').toHaveLength(1);
    expect(links[0]).toContain('rel="preload"');
  }
});

test('each page is usable after a reload', async ({ page }) => {
  test.setTimeout(360_000);
  await logIn(page);
  page.on('dialog', (d) => d.accept());

  // Send a message in a conversation opened by URL; the reply streams in.
  await load(page, `/c/${data.plainId}`, (p) => p.getByTestId('send'));
  await page.getByTestId('composer').fill('And goodbye.');
  await page.getByTestId('send').click();
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(page.locator('[data-testid="message"]')).toHaveCount(4);
  await expect(reply).toHaveAttribute('data-status', /^(complete|stopped)$/, { timeout: 240_000 });
  await expect(reply).not.toHaveText('');

  // Toggle a knowledge base in the picker; the choice is saved.
  await load(page, `/c/${data.attachedId}`, (p) => p.getByTestId('send'));
  await page.getByTestId('kb-picker-toggle').click();
  const option = page.locator(`[data-testid="kb-option"][data-kb-id="${data.kbId}"]`);
  await expect(option).toBeChecked();
  await option.uncheck();
  await expect(page.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: none');
  await expect(option).toBeEnabled();
  await page.reload();
  await expect(page.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: none');
  await page.getByTestId('kb-picker-toggle').click();
  await expect(option).toBeEnabled();
  await option.check();
  await expect(page.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: 1');

  // Rename a conversation from the sidebar, then delete it.
  await load(page, `/c/${data.attachedId}`, (p) => p.getByTestId('rename-conversation').first());
  const item = page.getByTestId('conversation-item').filter({ has: page.locator(`a[href="/c/${data.attachedId}"]`) });
  await item.getByTestId('rename-conversation').click();
  // Editing replaces the link (which found the item) with the only rename field.
  const title = page.getByTestId('rename-input');
  await title.fill('Parcels');
  await title.press('Enter');
  await expect(page.locator('.conversation-header h1')).toHaveText('Parcels');
  await page.reload();
  await expect(page.locator('.conversation-header h1')).toHaveText('Parcels');
  const renamed = page.getByTestId('conversation-item').filter({ hasText: 'Parcels' });
  await expect(renamed.getByTestId('delete-conversation')).toBeEnabled();
  await renamed.getByTestId('delete-conversation').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('conversation-item').filter({ hasText: 'Parcels' })).toHaveCount(0);
  // Gone: the page says so, with status 404 (which Chromium logs).
  expectConsoleErrors(new RegExp(`status of 404 .*\\[.*/c/${data.attachedId}\\]$`));
  await page.goto(`/c/${data.attachedId}`);
  await expect(page.getByText('This conversation does not exist')).toBeVisible();

  // Log out from a directly loaded page.
  await load(page, `/c/${data.longId}`, (p) => p.getByTestId('logout'));
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/login$/);
});
