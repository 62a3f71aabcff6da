// The browser bundle as a first visit gets it (`make bench-bundle`, the release bundle), written to
// docs/BENCHMARKS.md. Each page is opened by URL in a fresh browser context (an empty cache, as
// a first visit), 5 times: what the page transferred from /pkg/ (the bytes on the wire, brotli as
// the server sends it to Chromium) and the time from navigation start to its first control being
// usable (hydrated), read in the page on the animation frame it became enabled.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { createUser, logIn } from '../support/accounts';
import { expect, test } from '../support/fixtures';

const LOADS = 5;

type Storage = Awaited<ReturnType<import('@playwright/test').BrowserContext['storageState']>>;

interface Load {
  wasm: number;
  js: number;
  css: number;
  chunks: number;
  ms: number;
}

/** One first visit of `path`: a new context (empty cache) with `storage`'s cookies. */
async function firstVisit(browser: Browser, baseURL: string, storage: Storage | undefined, path: string, control: string): Promise<Load> {
  const context = await browser.newContext({ baseURL, storageState: storage });
  const page = await context.newPage();
  const sized: Promise<[string, number]>[] = [];
  page.on('requestfinished', (r) => {
    const m = /\/pkg\/[^?]+\.(wasm|js|css)$/.exec(r.url());
    if (m) sized.push(r.sizes().then((s) => [r.url(), s.responseBodySize] as [string, number]));
  });
  await page.goto(path);
  const ms = await page.evaluate(
    (sel) =>
      new Promise<number>((done) => {
        const tick = () => {
          const el = document.querySelector(sel) as HTMLInputElement | null;
          if (el && !el.disabled) done(performance.now());
          else requestAnimationFrame(tick);
        };
        tick();
      }),
    control,
  );
  await page.waitForLoadState('networkidle');
  const load: Load = { wasm: 0, js: 0, css: 0, chunks: 0, ms };
  for (const [url, bytes] of await Promise.all(sized)) {
    const kind = url.endsWith('.wasm') ? 'wasm' : url.endsWith('.js') ? 'js' : 'css';
    load[kind] += bytes;
    if (/\/pkg\/(split_|chunk_)/.test(url)) load.chunks += 1;
  }
  await context.close();
  return load;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

test('the first load of each kind of page: bytes and time to usable', async ({ browser, page, baseURL }) => {
  const email = `bench-bundle-${Date.now()}@example.com`;
  createUser(email, 'bench-bundle-password-1', 'admin');
  await logIn(page, email, 'bench-bundle-password-1');
  const created = await page.request.post('/api/chat/create', { data: { title: 'Bench', model: null }, headers: { Origin: baseURL! } });
  expect(created.status(), await created.text()).toBe(200);
  const { id } = (await created.json()) as { id: string };
  const storage = await page.context().storageState();

  const pages: [string, string, Storage | undefined, string][] = [
    ['chat, a conversation', `/c/${id}`, storage, '[data-testid="composer"]'],
    ['chat, new', '/', storage, '[data-testid="composer"]'],
    ['login (logged out)', '/login', undefined, '[data-testid="submit"]'],
    ['pipelines', '/pipelines', storage, '[data-testid="new-pipeline"]'],
    ['admin', '/admin', storage, '[data-testid="signup-mode"]'],
  ];
  const rows: string[] = [];
  for (const [name, path, who, control] of pages) {
    const loads: Load[] = [];
    for (let i = 0; i < LOADS; i++) loads.push(await firstVisit(browser, baseURL!, who, path, control));
    const m = (f: (l: Load) => number) => median(loads.map(f));
    const total = m((l) => l.wasm + l.js + l.css);
    rows.push(
      `| ${name} | ${kb(m((l) => l.wasm))} | ${kb(m((l) => l.js))} | ${kb(m((l) => l.css))} | **${kb(total)}** | ` +
        `${m((l) => l.chunks)} | ${Math.round(m((l) => l.ms))} ms |`,
    );
    expect(total).toBeGreaterThan(0);
  }

  const bundle = process.env.WEBPLUS_E2E_BUNDLE ?? 'release';
  const section = [
    '<!-- bench:bundle-load -->',
    '## First page load in Chromium (`make bench-bundle`)',
    '',
    `Each page opened by URL in a new browser context (empty cache: a first visit), ${LOADS} times, the ${bundle} ` +
      `bundle, ${new Date().toISOString().slice(0, 10)}. Bytes are what Chromium received from \`/pkg/\` ` +
      '(brotli, as `make run` sends it); *usable* is navigation start to the page\'s first control enabled ' +
      '(hydrated), on the animation frame it happened. Medians. Chromium headless on 2 shared cores, ' +
      'server on the same machine (no network latency: a real link adds a round trip per chunk wave).',
    '',
    '| page | WASM | JS | CSS | total | chunk files | usable |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Goals: issue 13 §6, at most 250 KB for the whole first load; issue 12, the chat\'s WASM at or ' +
      'under 400 KB.',
    '<!-- /bench:bundle-load -->',
  ].join('\n');
  const path = resolve(__dirname, '../../docs/BENCHMARKS.md');
  const doc = readFileSync(path, 'utf8');
  const re = /<!-- bench:bundle-load -->[\s\S]*?<!-- \/bench:bundle-load -->/;
  // As the Rust benchmarks (benches/doc_section.rs): a sweep's tables are printed, not kept.
  const noWrite = !['', '0'].includes(process.env.WEBPLUS_BENCH_NO_WRITE ?? '');
  if (noWrite) console.log(section);
  else writeFileSync(path, re.test(doc) ? doc.replace(re, section) : doc.replace('<!-- /bench:bundle -->', `<!-- /bench:bundle -->\n\n${section}`));
});
