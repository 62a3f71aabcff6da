// An administrator connects Anthropic (the fake, run as its own process) on the connections page,
// tests the connection, and a user of the instance chats with its model, streamed.
import { createUser, logIn } from '../support/accounts';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic';
import { expect, test } from '../support/fixtures';

const email = `conn-admin-${Date.now()}@example.com`;
const password = 'analytical-engine-1843';
let fake: FakeAnthropic;

test.beforeAll(async () => {
  createUser(email, password, 'admin');
  fake = await startFakeAnthropic();
});

test.afterAll(() => fake?.stop());

test('an admin adds, tests and edits an Anthropic connection, and its model answers in the chat', async ({ page }) => {
  test.setTimeout(180_000);
  page.on('dialog', (d) => d.accept());
  await logIn(page, email, password);

  // By navigation from the admin page.
  await page.goto('/admin');
  await page.getByTestId('connections-link').click();
  await expect(page).toHaveURL(/\/admin\/connections$/);
  await expect(page.getByTestId('save-connection')).toBeEnabled();

  await page.getByTestId('connection-kind').selectOption('anthropic');
  await page.getByTestId('connection-name').fill('claude');
  await page.getByTestId('connection-base-url').fill(fake.baseUrl);
  await page.getByTestId('connection-key').fill('sk-ant-not-the-right-one');
  await page.getByTestId('connection-models').fill('claude-haiku-4-5');
  await page.getByTestId('save-connection').click();
  const row = page.locator('[data-testid="connection-row"][data-name="claude"]');
  await expect(row).toContainText('claude-haiku-4-5');
  await expect(row).toContainText('saved');
  await expect(page.getByTestId('connection-key')).toHaveValue('');

  // A wrong key: the test says so in plain words.
  await row.getByTestId('test-connection').click();
  const result = row.getByTestId('test-result');
  await expect(result).toHaveAttribute('data-ok', 'false');
  await expect(result).toContainText('refused the key');

  // Edit: the right key; the test now lists the fake's two models.
  await row.getByTestId('edit-connection').click();
  await expect(page.getByTestId('connection-name')).toHaveValue('claude');
  await page.getByTestId('connection-key').fill(fake.apiKey);
  await page.getByTestId('save-connection').click();
  await expect(page.getByTestId('save-connection')).toHaveText('Add connection');
  await row.getByTestId('test-connection').click();
  await expect(row.getByTestId('test-result')).toHaveAttribute('data-ok', 'true');
  await expect(row.getByTestId('test-result')).toContainText('2 models');

  // Loaded directly (as a reload does): the connection is there, and the key is nowhere in the page.
  await page.goto('/admin/connections');
  await expect(page.getByTestId('save-connection')).toBeEnabled();
  await expect(row).toContainText('Anthropic');
  expect(await page.content()).not.toContain(fake.apiKey);

  // The model is offered under its qualified id and answers, streamed.
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await page.getByTestId('model-picker').selectOption('claude/claude-haiku-4-5');
  await page.getByTestId('composer').fill('Hello Claude');
  await page.getByTestId('send').click();
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'complete');
  expect((await reply.innerText()).trim().length).toBeGreaterThan(0);

  // Removed: gone from the page and from the model picker.
  await page.goto('/admin/connections');
  await expect(page.getByTestId('save-connection')).toBeEnabled();
  await row.getByTestId('remove-connection').click();
  await expect(row).toHaveCount(0);
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expect(page.locator('[data-testid="model-picker"] option[value="claude/claude-haiku-4-5"]')).toHaveCount(0);
});
