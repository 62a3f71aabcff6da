// Bringing history in and taking it out: ChatGPT's conversations.json imported from Settings (its
// edited question arrives as two versions), the conversation downloaded as Markdown and as JSON,
// and the JSON imported back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, logIn } from '../support/accounts';
import { expect, expectConsoleErrors, test } from '../support/fixtures';
import type { Page } from '@playwright/test';

const email = `transfer-${Date.now()}@example.com`;
const password = 'babbage-difference-1832';
const chatgpt = join(__dirname, '..', '..', 'src', 'chat', 'testdata', 'chatgpt_conversations.json');

test.beforeAll(() => createUser(email, password));

async function importFile(page: Page, file: { name: string; mimeType: string; buffer: Buffer } | string) {
  await page.goto('/settings');
  await expect(page.getByTestId('import-input')).toBeEnabled();
  await page.getByTestId('import-input').setInputFiles(file);
  await page.getByTestId('import').click();
  return page.getByTestId('import-result');
}

test('ChatGPT history comes in with its branches, and a conversation goes out as Markdown and JSON', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);

  const result = await importFile(page, chatgpt);
  await expect(result).toContainText('Imported 1 conversation (6 messages). 3 messages were left out');
  await result.getByRole('link', { name: 'Open “Trip to Lisbon”' }).click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);
  await expect(page.getByTestId('send')).toBeEnabled();
  const users = page.locator('[data-testid="message"][data-role="user"]');
  await expect(users.locator('.message-text')).toHaveText(['Where should I stay in Lisbon?', 'And what should I eat?']);
  await expect(users.last().getByTestId('branch-position')).toHaveText('2/2');
  await users.last().getByRole('button', { name: 'Previous version' }).click();
  await expect(users.last()).toContainText('And eat?');

  await page.getByTestId('export').click();
  const [markdown] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-markdown').click()]);
  expect(markdown.suggestedFilename()).toBe('trip-to-lisbon.md');
  const md = readFileSync((await markdown.path())!, 'utf8');
  expect(md).toContain('# Trip to Lisbon');
  expect(md).toContain('## You\n\nAnd eat?');

  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  expect(json.suggestedFilename()).toBe('trip-to-lisbon.json');
  const exported = readFileSync((await json.path())!);
  expect(JSON.parse(exported.toString()).messages).toHaveLength(6);

  // The JSON comes back in whole, with the branch that was on show (the first version).
  const again = await importFile(page, { name: 'trip-to-lisbon.json', mimeType: 'application/json', buffer: exported });
  await expect(again).toHaveText('Imported 1 conversation (6 messages). Open “Trip to Lisbon”');
  await again.getByRole('link').click();
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(users.last()).toContainText('And eat?');
  await expect(users.last().getByTestId('branch-position')).toHaveText('1/2');

  // A file that is no conversation: the page says what is wrong (Chromium logs the 400).
  expectConsoleErrors(/status of 400 .*\[.*\/api\/v1\/conversations\/import\]$/);
  const bad = await importFile(page, { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"notes": []}') });
  await expect(page.getByRole('alert')).toContainText("ChatGPT's conversations.json");
  await expect(bad).toHaveCount(0);
});

test('a long conversation opens at its newest message and brings older ones as the reader scrolls up', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  const count = 130;
  const messages = Array.from({ length: count }, (_, i) => ({
    id: `m${i}`,
    parent: i === 0 ? null : `m${i - 1}`,
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `Message ${i}`,
    created_at: 1_700_000_000_000 + i * 1000,
  }));
  const file = { format: 'webplus.conversation', version: 1, title: 'Long talk', model: 'm', created_at: 1_700_000_000_000, messages };
  const result = await importFile(page, { name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await result.getByRole('link', { name: 'Open “Long talk”' }).click();
  await expect(page.getByTestId('send')).toBeEnabled();

  const shown = page.getByTestId('message');
  const earlier = page.getByTestId('earlier-messages');
  const opened = async () => {
    await expect(shown).toHaveCount(50);
    await expect(shown.last()).toContainText('Message 129');
    await expect(shown.last()).toBeInViewport();
    await expect(earlier).toHaveText('Show earlier messages (80 more)');
  };
  await opened();

  // Scrolling to the top brings the page before, and the message that was first stays in view.
  await page.locator('.messages').evaluate((el) => el.scrollTo(0, 0));
  await expect(shown).toHaveCount(100);
  await expect(earlier).toHaveText('Show earlier messages (30 more)');
  await expect(page.locator('.message-text').filter({ hasText: /^\s*Message 80\s*$/ })).toBeInViewport();
  // Clicked where it is: a pointer click first scrolls the button into view, and reaching the top
  // already loads the page above (the path just tested), which removes the button mid-click.
  await earlier.dispatchEvent('click');
  await expect(shown).toHaveCount(130);
  await expect(shown.first()).toContainText('Message 0');
  await expect(earlier).toHaveCount(0);

  // Loaded directly, as a reload does: the newest page again.
  await page.reload();
  await expect(page.getByTestId('send')).toBeEnabled();
  await opened();
});
