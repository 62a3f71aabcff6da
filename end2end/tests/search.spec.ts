// Ctrl+K searches every conversation of the user: words marked in the excerpts, Enter opens the
// message on its own branch (switching to it), and the sidebar's button and Esc open and close it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, logIn } from '../support/accounts';
import { expect, test } from '../support/fixtures';

const email = `search-${Date.now()}@example.com`;
const password = 'lovelace-notes-1843';
const chatgpt = join(__dirname, '..', '..', 'src', 'chat', 'testdata', 'chatgpt_conversations.json');

test.beforeAll(() => createUser(email, password));

test('Ctrl+K finds messages on any branch and opens them where they are', async ({ page, baseURL }) => {
  await logIn(page, email, password);
  const imported = await page.request.post('/api/v1/conversations/import', {
    data: readFileSync(chatgpt),
    headers: { 'content-type': 'application/json', origin: baseURL! },
  });
  expect(imported.status()).toBe(200);
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();

  await page.keyboard.press('Control+k');
  const input = page.getByTestId('search-input');
  await expect(input).toBeFocused();
  await input.fill('eat');
  const hits = page.getByTestId('search-hit');
  await expect(hits).toHaveCount(2);
  await expect(hits.locator('mark')).toHaveText(['eat', 'eat']);
  await expect(hits.first().locator('.hit-title')).toHaveText('Trip to Lisbon');

  // A reply on the branch that is not shown: Enter opens it there.
  await input.fill('time out mark');
  await expect(hits).toHaveCount(1);
  await expect(hits.locator('mark')).toHaveText(['Time', 'Out', 'Market']);
  await input.press('Enter');
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+\?m=[0-9a-f-]+$/);
  await expect(input).toHaveCount(0);
  const replies = page.locator('[data-testid="message"][data-role="assistant"]');
  await expect(replies.last().locator('.message-text')).toHaveText('Time Out Market.');
  await expect(replies.last()).toBeInViewport();
  const users = page.locator('[data-testid="message"][data-role="user"]');
  await expect(users.last().getByTestId('branch-position')).toHaveText('1/2');

  // Loaded directly, the same; the sidebar's button opens the search, Esc closes it.
  await page.reload();
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(replies.last().locator('.message-text')).toHaveText('Time Out Market.');
  await page.getByTestId('open-search').click();
  await expect(input).toBeFocused();
  await input.fill('tokyo');
  await expect(page.getByTestId('search-empty')).toHaveText('Nothing found.');
  await input.press('Escape');
  await expect(input).toHaveCount(0);
});
