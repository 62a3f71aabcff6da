// Branches: editing a question asks it again beside the original, regenerating a reply adds a
// sibling (also from another model), ‹ n/m › switches between them, and a reload comes back to the
// branch last shown. The Anthropic fake answers "You said: " and the question.
import { createUser, logIn } from '../support/accounts';
import { addConnection } from '../support/connections';
import { startFake, type Fake } from '../support/fakes';
import { expect, test } from '../support/fixtures';
import type { Page } from '@playwright/test';

const email = `branches-${Date.now()}@example.com`;
const password = 'jacquard-loom-1804';
let anthropic: Fake;

test.beforeAll(async () => {
  createUser(email, password, 'admin');
  anthropic = await startFake('fake_anthropic', [], ['base_url', 'api_key']);
});

test.afterAll(() => anthropic?.stop());

const messages = (page: Page, role: 'user' | 'assistant') =>
  page.locator(`[data-testid="message"][data-role="${role}"]`);

/** What the conversation shows: each message's text, with its position where it has siblings. */
async function shown(page: Page) {
  return page.getByTestId('message').evaluateAll((els) =>
    els.map((el) => {
      const text = el.querySelector('.message-text')?.textContent?.trim() ?? '';
      const at = el.querySelector('[data-testid="branch-position"]')?.textContent;
      return at ? `${text} (${at})` : text;
    }),
  );
}

test('edit and regenerate make branches to switch between, and a reload keeps the one shown', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/admin/connections');
  const row = await addConnection(page, {
    kind: 'anthropic',
    name: 'branching',
    baseUrl: anthropic.values.base_url,
    key: anthropic.values.api_key,
    models: 'claude-haiku-4-5, claude-sonnet-4-6',
  });
  await expect(row).toContainText('saved');

  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await page.getByTestId('model-picker').selectOption('branching/claude-haiku-4-5');
  await page.getByTestId('composer').fill('First question');
  await page.getByTestId('send').click();
  await expect(messages(page, 'assistant').last()).toHaveAttribute('data-status', 'complete');
  await page.getByTestId('composer').fill('Second question');
  await page.getByTestId('send').click();
  await expect(messages(page, 'assistant')).toHaveCount(2);
  await expect(messages(page, 'assistant').last()).toHaveAttribute('data-status', 'complete');

  // Edit the second question: asked again beside the original (Enter saves).
  await messages(page, 'user').last().getByTestId('edit').click();
  await messages(page, 'user').last().getByTestId('edit-message').fill('Second question, edited');
  await messages(page, 'user').last().getByTestId('edit-message').press('Enter');
  await expect(messages(page, 'assistant').last()).toHaveAttribute('data-status', 'complete');
  await expect.poll(() => shown(page)).toEqual([
    'First question',
    'You said: First question',
    'Second question, edited (2/2)',
    'You said: Second question, edited',
  ]);

  // The original is one click away, with its own reply.
  await messages(page, 'user').last().getByRole('button', { name: 'Previous version' }).click();
  await expect.poll(() => shown(page)).toEqual([
    'First question',
    'You said: First question',
    'Second question (1/2)',
    'You said: Second question',
  ]);

  // A reload comes back to the branch last shown; the switcher works on the loaded page.
  await page.reload();
  await expect(page.getByTestId('send')).toBeEnabled();
  expect(await shown(page)).toEqual([
    'First question',
    'You said: First question',
    'Second question (1/2)',
    'You said: Second question',
  ]);
  await messages(page, 'user').last().getByRole('button', { name: 'Next version' }).click();
  await expect(messages(page, 'user').last()).toContainText('Second question, edited');

  // Regenerate the last reply, then once more with another model: three versions of it.
  await messages(page, 'assistant').last().getByTestId('regenerate').click();
  await expect(messages(page, 'assistant').last().getByTestId('branch-position')).toHaveText('2/2');
  await expect(messages(page, 'assistant').last()).toHaveAttribute('data-status', 'complete');
  await messages(page, 'assistant').last().getByTestId('regenerate-with').click();
  await page.locator('[data-model="branching/claude-sonnet-4-6"]').click();
  const third = messages(page, 'assistant').last();
  await expect(third.getByTestId('branch-position')).toHaveText('3/3');
  await expect(third).toHaveAttribute('data-status', 'complete');
  await expect(third.getByTestId('message-usage')).toContainText('claude-sonnet-4-6');
  await expect(third.locator('.message-text')).toHaveText('You said: Second question, edited');

  // Loaded directly, the third version is on show.
  await page.goto(page.url());
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(messages(page, 'assistant').last().getByTestId('branch-position')).toHaveText('3/3');
});
