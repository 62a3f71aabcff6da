// The everyday keys and the theme: Esc stops a reply, ↑ in the empty composer edits the last
// question (a new branch), a second tab follows the reply being written, and the theme picked in the sidebar is kept by a reload (the server
// renders it, so nothing flashes or fails to hydrate).
import { createUser, logIn } from '../support/accounts';
import { expect, expectConsoleErrors, test } from '../support/fixtures';

const email = `everyday-${Date.now()}@example.com`;
const password = 'hopper-cobol-1959';

test.beforeAll(() => createUser(email, password));

test('Esc stops the reply and ↑ edits the last question', async ({ page }) => {
  test.setTimeout(240_000);
  await logIn(page, email, password);
  const composer = page.getByTestId('composer');
  await composer.fill('Tell me a long story about a lighthouse.');
  await composer.press('Enter');
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  await page.keyboard.press('Escape');
  await expect(reply).toHaveAttribute('data-status', 'stopped');

  await composer.focus();
  await composer.press('ArrowUp');
  const edit = page.getByTestId('edit-message');
  await expect(edit).toBeFocused();
  await expect(edit).toHaveValue('Tell me a long story about a lighthouse.');
  // Esc in the edit box closes it and stops nothing.
  await edit.press('Escape');
  await expect(edit).toHaveCount(0);
  await composer.press('ArrowUp');
  await edit.fill('Tell me a short story about a lighthouse.');
  await edit.press('Enter');
  const question = page.locator('[data-testid="message"][data-role="user"]').last();
  await expect(question.locator('.message-text')).toHaveText('Tell me a short story about a lighthouse.');
  await expect(question.getByTestId('branch-position')).toHaveText('2/2');
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  await page.keyboard.press('Escape');
  await expect(reply).toHaveAttribute('data-status', 'stopped');

  // An edit that cannot reach the server opens again with its text, to send once more.
  expectConsoleErrors(/Failed to load resource: net::ERR_FAILED .*\[.*\/api\/chat\/edit\]$/);
  await page.route('**/api/chat/edit', (route) => route.abort('failed'));
  await composer.press('ArrowUp');
  await edit.fill('Tell me a tiny story about a lighthouse.');
  await edit.press('Enter');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(edit).toHaveValue('Tell me a tiny story about a lighthouse.');
  await page.unroute('**/api/chat/edit');
  await edit.press('Enter');
  await expect(question.locator('.message-text')).toHaveText('Tell me a tiny story about a lighthouse.');
  await expect(question.getByTestId('branch-position')).toHaveText('3/3');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(reply).toHaveAttribute('data-status', 'stopped');
});

test('a second tab on the conversation follows the same reply, and sees it stopped', async ({ page }) => {
  test.setTimeout(240_000);
  await logIn(page, email, password);
  const composer = page.getByTestId('composer');
  await composer.fill('Tell me a long story about a harbour.');
  await composer.press('Enter');
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);

  const second = await page.context().newPage();
  await second.goto(page.url());
  const followed = second.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(followed).toHaveAttribute('data-status', 'streaming');
  const text = followed.locator('.message-text');
  const before = (await text.innerText()).length;
  await expect.poll(async () => (await text.innerText()).length).toBeGreaterThan(before);

  await page.keyboard.press('Escape');
  await expect(reply).toHaveAttribute('data-status', 'stopped');
  await expect(followed).toHaveAttribute('data-status', 'stopped');
  await expect(text).toHaveText((await reply.locator('.message-text').innerText()).trim());
  await second.close();
});

test('the theme picked is applied at once and after a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await logIn(page, email, password);
  const html = page.locator('html');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveText('Theme: system');
  expect(await background()).toBe('rgb(247, 247, 248)');

  await toggle.click();
  await expect(toggle).toHaveText('Theme: light');
  await expect(html).toHaveAttribute('data-theme', 'light');
  await toggle.click();
  await expect(toggle).toHaveText('Theme: dark');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  expect(await background()).toBe('rgb(20, 20, 23)');

  // Rendered by the server with the choice: dark from the first paint, and the toggle agrees.
  await page.reload();
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(toggle).toHaveText('Theme: dark');
  expect(await background()).toBe('rgb(20, 20, 23)');

  // Back to the system's (light here), also after a reload.
  await toggle.click();
  await expect(toggle).toHaveText('Theme: system');
  await expect(html).not.toHaveAttribute('data-theme', /.*/);
  await page.reload();
  await expect(page.getByTestId('composer')).toBeEnabled();
  expect(await background()).toBe('rgb(247, 247, 248)');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await background()).toBe('rgb(20, 20, 23)');
});

test('conversations are pinned above the others and archived out of the list', async ({ page, baseURL }) => {
  await logIn(page, email, password);
  // Two conversations with history, brought in through the import (no model needed).
  for (const title of ['Garden plans', 'Tax questions']) {
    const file = {
      format: 'webplus.conversation',
      version: 1,
      title,
      model: 'x',
      created_at: Date.now(),
      messages: [{ id: 'q', role: 'user', content: `About ${title}`, created_at: Date.now() }],
    };
    const res = await page.request.post('/api/v1/conversations/import', {
      data: JSON.stringify(file),
      headers: { 'content-type': 'application/json', origin: baseURL! },
    });
    expect(res.status()).toBe(200);
  }
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  const item = (list: string, title: string) =>
    page.getByTestId(list).getByTestId('conversation-item').filter({ hasText: title });

  await item('conversation-list', 'Garden plans').getByTestId('pin-conversation').click();
  await expect(item('pinned-list', 'Garden plans')).toBeVisible();
  await expect(item('conversation-list', 'Garden plans')).toHaveCount(0);
  await expect(item('pinned-list', 'Garden plans').getByTestId('pin-conversation')).toHaveAttribute('aria-label', 'Unpin');

  await page.getByTestId('archived').locator('summary').click();
  await expect(page.getByTestId('archived')).toContainText('Nothing archived.');
  await item('conversation-list', 'Tax questions').getByTestId('archive-conversation').click();
  await expect(item('archived-list', 'Tax questions')).toBeVisible();
  await expect(item('conversation-list', 'Tax questions')).toHaveCount(0);

  // Loaded directly: the same lists; an archived conversation still opens and is still found.
  await page.reload();
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expect(item('pinned-list', 'Garden plans')).toBeVisible();
  await expect(item('conversation-list', 'Tax questions')).toHaveCount(0);
  await page.keyboard.press('Control+k');
  await page.getByTestId('search-input').fill('tax');
  await expect(page.getByTestId('search-hit').first()).toContainText('Tax questions');
  await page.getByTestId('search-input').press('Escape');

  // Unarchived and unpinned: back in the main list.
  await page.getByTestId('archived').locator('summary').click();
  await item('archived-list', 'Tax questions').getByTestId('archive-conversation').click();
  await expect(item('conversation-list', 'Tax questions')).toBeVisible();
  await item('pinned-list', 'Garden plans').getByTestId('pin-conversation').click();
  await expect(item('conversation-list', 'Garden plans')).toBeVisible();
  await expect(page.getByTestId('pinned-list')).toHaveCount(0);
});
