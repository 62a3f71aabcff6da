// End-to-end tests: the real `webplus` binary (fresh data dir, the real local model) driven through
// Debian's Chromium. `make test` builds the binary and the site first and sets WEBPLUS_BIN.
import { defineConfig } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const port = Number(process.env.WEBPLUS_E2E_PORT ?? 3199);
// Workers load this file again: they inherit the data dir and binary the main process chose, so
// tests can run the CLI against the server's own database.
const ownDataDir = !process.env.WEBPLUS_E2E_DATA_DIR;
const dataDir = process.env.WEBPLUS_E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'webplus-e2e-'));
// The run that made the data dir removes it when it exits (after the server has stopped): each run
// left about 4.5 MB in /tmp before.
if (ownDataDir) process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
const bin = process.env.WEBPLUS_BIN ?? resolve(__dirname, '../target/debug/webplus');
process.env.WEBPLUS_E2E_DATA_DIR = dataDir;
process.env.WEBPLUS_BIN = bin;

// Which bundle target/site holds (`make e2e` builds and tests both): results are kept apart.
const bundle = process.env.WEBPLUS_E2E_BUNDLE ?? 'dev';

export default defineConfig({
  testDir: './tests',
  outputDir: `test-results/${bundle}`,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // results.json: support/failures.mjs prints the failures again at the end of `make e2e`.
  reporter: [['list'], ['json', { outputFile: `test-results/${bundle}/results.json` }]],
  // chat.spec.ts registers the instance's first account through the page (it becomes the admin);
  // every other spec makes its users with the CLI, so it runs after it whatever the file names.
  projects: [
    { name: 'first-account', testMatch: /(^|[\\/])chat\.spec\.ts$/ },
    { name: 'everything-else', testIgnore: /(^|[\\/])chat\.spec\.ts$/, dependencies: ['first-account'] },
  ],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Without these, Chromium floods the closed network with background requests.
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `${bin} serve`,
    url: `http://127.0.0.1:${port}/ready`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      WEBPLUS_ADDR: `127.0.0.1:${port}`,
      WEBPLUS_DATA_DIR: dataDir,
      WEBPLUS_SITE_ROOT: resolve(__dirname, '../target/site'),
      WEBPLUS_LOG_FORMAT: 'json',
      // The crawl test's website is served on loopback, which the crawler refuses by default.
      WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS: '127.0.0.1,localhost',
    },
  },
});
