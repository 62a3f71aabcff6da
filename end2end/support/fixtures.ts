// Every browser test imports `test` from here: it fails a test that saw any console error or
// uncaught page error in any page of its browser context (a hydration panic shows as both).
// A test that provokes an error on purpose (a 401 from a wrong password is logged by Chromium as
// "Failed to load resource") declares it with `expectConsoleErrors(/pattern/)`; anything else fails.
import { test as base, expect, type BrowserContext } from '@playwright/test';

type Allowing = { _allowedConsoleErrors?: RegExp[] };

export const test = base.extend<{ consoleGuard: void }>({
  consoleGuard: [
    async ({ context }, use, testInfo) => {
      const seen: string[] = [];
      watch(context, seen);
      await use();
      const allowed: RegExp[] = (testInfo as unknown as Allowing)._allowedConsoleErrors ?? [];
      const unexpected = seen.filter((s) => !allowed.some((re) => re.test(s)));
      expect(unexpected, 'console errors or uncaught page errors').toEqual([]);
    },
    { auto: true },
  ],
});

/** Declares console errors this test provokes on purpose (matched against "console.error: …"). */
export function expectConsoleErrors(...patterns: RegExp[]) {
  const info = test.info() as unknown as Allowing;
  info._allowedConsoleErrors = [...(info._allowedConsoleErrors ?? []), ...patterns];
}

function watch(context: BrowserContext, seen: string[]) {
  const where = (url: string) => (url ? ` (at ${new URL(url).pathname})` : '');
  // A failed request is logged without its URL in the text: the location names it.
  context.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const resource = msg.text().startsWith('Failed to load resource') ? ` [${msg.location().url}]` : '';
    seen.push(`console.error: ${msg.text()}${where(msg.page()?.url() ?? '')}${resource}`);
  });
  context.on('weberror', (err) => {
    seen.push(`pageerror: ${err.error().message}${where(err.page()?.url() ?? '')}`);
  });
}

export { expect };
