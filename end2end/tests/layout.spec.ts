// The layout on a phone (390×844) and a desktop (1280×800), light and dark: on the phone the
// sidebar is a drawer (the bar's button opens it; the backdrop, Esc and following a link close
// it) and no page is wider than the screen, even with a wide table, a long code line and a long
// link in a reply. Screenshots of each are saved with the test's results
// (test-results/<bundle>/layout-…/*.png) and attached to the report.
import { createUser, logIn } from '../support/accounts';
import { expect, test } from '../support/fixtures';
import type { Page, TestInfo } from '@playwright/test';

const email = `layout-${Date.now()}@example.com`;
const password = 'analytical-engine-1837';
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };

const reply = [
  'Here is how the plans compare:',
  '',
  '| Plan | Seats | Price per month | Storage | Support | Single sign-on | Audit log |',
  '|---|---|---|---|---|---|---|',
  '| Team | 5 | 25 EUR | 100 GB | Email and chat | No | No |',
  '| Business | 50 | 240 EUR | 1 TB | Phone, email and chat | Yes | 90 days |',
  '',
  '```rust',
  `fn main() { let a_rather_long_identifier = "${'x'.repeat(160)}"; }`,
  '```',
  '',
  `Details: https://example.com/${'a'.repeat(120)}`,
].join('\n');

const conversation = {
  format: 'webplus.conversation',
  version: 1,
  title: 'Which plan fits us?',
  model: 'local',
  created_at: Date.now() - 60_000,
  messages: [
    { id: 'q', role: 'user', content: 'Compare the plans, please.', created_at: Date.now() - 60_000 },
    { id: 'a', parent: 'q', role: 'assistant', content: reply, status: 'complete', created_at: Date.now() - 50_000 },
  ],
};

test.beforeAll(() => createUser(email, password));

/** The page is no wider than the window (a table or code block scrolls inside itself). */
async function expectNoOverflow(page: Page) {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    window: window.innerWidth,
  }));
  expect(widths.page, JSON.stringify(widths)).toBeLessThanOrEqual(widths.window);
  expect(widths.body, JSON.stringify(widths)).toBeLessThanOrEqual(widths.window);
}

async function shoot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  // Transitions finished (the drawer slides in), so the picture shows where things end up.
  await page.screenshot({ path, animations: 'disabled' });
  await info.attach(name, { path, contentType: 'image/png' });
}

test('on a phone the sidebar is a drawer and nothing overflows; screenshots in light and dark', async ({ page, context }, info) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/settings');
  await expect(page.getByTestId('import-input')).toBeEnabled();
  await page.getByTestId('import-input').setInputFiles({
    name: 'plans.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(conversation)),
  });
  await page.getByTestId('import').click();
  await page.getByTestId('import-result').getByRole('link').click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);
  const url = page.url();

  // Loaded directly on a phone, as a reload does.
  await page.setViewportSize(phone);
  await page.goto(url);
  await expect(page.getByTestId('send')).toBeEnabled();
  const sidebar = page.getByTestId('sidebar');
  await expect(sidebar).toBeHidden();
  await expect(page.locator('.markdown table')).toBeVisible();
  await expectNoOverflow(page);
  await shoot(page, info, 'phone-conversation-light');

  const toggle = page.getByTestId('open-drawer');
  await toggle.click();
  await expect(sidebar).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(sidebar.getByTestId('conversation-list')).toContainText('Which plan fits us?');
  await shoot(page, info, 'phone-drawer-light');
  await page.keyboard.press('Escape');
  await expect(sidebar).toBeHidden();
  await toggle.click();
  await page.getByTestId('drawer-backdrop').click({ position: { x: 370, y: 400 } });
  await expect(sidebar).toBeHidden();
  // A link in the drawer closes it.
  await toggle.click();
  await sidebar.getByTestId('new-chat').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(sidebar).toBeHidden();
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expectNoOverflow(page);

  // The other pages a user reaches, loaded directly.
  for (const path of ['/settings', '/kb']) {
    await page.goto(path);
    await expect(page.locator('main, .page').first()).toBeVisible();
    await expectNoOverflow(page);
  }

  // Dark, on the phone and on a desktop (the server renders the theme from its cookie).
  await context.addCookies([{ name: 'webplus_theme', value: 'dark', url: page.url() }]);
  await page.goto(url);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('send')).toBeEnabled();
  await expectNoOverflow(page);
  await shoot(page, info, 'phone-conversation-dark');

  await page.setViewportSize(desktop);
  await page.goto(url);
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(sidebar).toBeVisible();
  await expect(toggle).toBeHidden();
  await expectNoOverflow(page);
  await shoot(page, info, 'desktop-conversation-dark');
  await context.addCookies([{ name: 'webplus_theme', value: 'light', url: page.url() }]);
  await page.goto(url);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(page.getByTestId('send')).toBeEnabled();
  await shoot(page, info, 'desktop-conversation-light');
});
