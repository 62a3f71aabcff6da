// An administrator connects Anthropic (the fake, run as its own process) on the connections page,
// tests the connection, and a user of the instance chats with its model, streamed, with the reply's
// tokens and cost under it, and with the parameters set in the conversation's panel.
import { createUser, logIn } from '../support/accounts';
import { addConnection } from '../support/connections';
import { startFake, type Fake } from '../support/fakes';
import { expect, expectConsoleErrors, test } from '../support/fixtures';

const email = `conn-admin-${Date.now()}@example.com`;
const password = 'analytical-engine-1843';
let anthropic: Fake;
let ollama: Fake;
const fake = {
  get baseUrl() { return anthropic.values.base_url; },
  get apiKey() { return anthropic.values.api_key; },
};

test.beforeAll(async () => {
  createUser(email, password, 'admin');
  anthropic = await startFake('fake_anthropic', [], ['base_url', 'api_key']);
  ollama = await startFake('fake_ollama', ['--gated'], ['base_url']);
});

test.afterAll(() => {
  anthropic?.stop();
  ollama?.stop();
});

test('an admin adds, tests and edits an Anthropic connection, and its model answers in the chat', async ({ page }) => {
  test.setTimeout(180_000);
  page.on('dialog', (d) => d.accept());
  await logIn(page, email, password);

  // By navigation from the admin page.
  await page.goto('/admin');
  await page.getByTestId('connections-link').click();
  await expect(page).toHaveURL(/\/admin\/connections$/);
  const row = await addConnection(page, {
    kind: 'anthropic',
    name: 'claude',
    baseUrl: fake.baseUrl,
    key: 'sk-ant-not-the-right-one',
    models: 'claude-haiku-4-5',
  });
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

  // The model catalog, by navigation from the admin page: the connection's server lists its two
  // models; the one named in the connection is in the catalog, the other is added with one click,
  // then renamed and priced.
  await page.goto('/admin');
  await page.getByTestId('models-link').click();
  await expect(page).toHaveURL(/\/admin\/models$/);
  await expect(page.locator('[data-testid="catalog-row"][data-model="claude/claude-haiku-4-5"]')).toBeVisible();
  const listed = page.locator('[data-testid="available-connection"][data-name="claude"]');
  await expect(listed.getByTestId('list-available')).toBeEnabled();
  await listed.getByTestId('list-available').click();
  const sonnet = listed.locator('[data-testid="available-model"][data-model="claude/claude-sonnet-4-6"]');
  await expect(sonnet).toBeVisible();
  await expect(listed.locator('[data-testid="available-model"][data-model="claude/claude-haiku-4-5"]'))
    .toContainText('in the catalog');
  await sonnet.getByTestId('add-model').click();
  const sonnetRow = page.locator('[data-testid="catalog-row"][data-model="claude/claude-sonnet-4-6"]');
  await expect(sonnetRow).toBeVisible();
  await sonnetRow.getByTestId('edit-model').click();
  await expect(page.getByTestId('model-editor')).toBeVisible();
  await page.getByTestId('model-name').fill('Sonnet on the fake');
  await page.getByTestId('model-input-price').fill('2.5');
  await page.getByTestId('save-model').click();
  await expect(sonnetRow).toContainText('Sonnet on the fake');
  await expect(sonnetRow).toContainText('$2.5 ·');
  // Loaded directly: the same catalog.
  await page.goto('/admin/models');
  await expect(sonnetRow).toContainText('Sonnet on the fake');
  await expect(sonnetRow.getByTestId('model-enabled')).toBeEnabled();
  // The embedding models are in the catalog too: the local one is added and renamed; its form
  // shows only what an embedding model has.
  const embedders = page.locator('[data-testid="available-connection"][data-name="Embedding models"]');
  await embedders.getByTestId('list-available').click();
  const minilm = embedders.locator('[data-testid="available-model"][data-model="local:all-minilm-l6-v2"]');
  await expect(minilm).toContainText('offered (from the settings)');
  await minilm.getByTestId('add-model').click();
  const minilmRow = page.locator('[data-testid="catalog-row"][data-model="local:all-minilm-l6-v2"]');
  await expect(minilmRow).toContainText('embedding · 384 dimensions');
  await expect(minilmRow).toContainText('$0 in');
  await minilmRow.getByTestId('edit-model').click();
  await expect(page.getByTestId('model-input-price')).toBeVisible();
  await expect(page.getByTestId('model-context')).toBeHidden();
  await page.getByTestId('model-name').fill('MiniLM on this server');
  await page.getByTestId('save-model').click();
  await expect(minilmRow).toContainText('MiniLM on this server');
  await expect(minilm).toContainText('in the catalog');
  // Offered by its name in the picker; once disabled, no longer offered.
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  const sonnetOption = page.locator('[data-testid="model-picker"] option[value="claude/claude-sonnet-4-6"]');
  await expect(sonnetOption).toHaveText(/^Sonnet on the fake/);
  await page.goto('/admin/models');
  await expect(sonnetRow.getByTestId('model-enabled')).toBeEnabled();
  await sonnetRow.getByTestId('model-enabled').uncheck();
  await expect(sonnetRow.getByTestId('model-enabled')).not.toBeChecked();
  await expect(sonnetRow.getByTestId('model-enabled')).toBeEnabled();
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expect(sonnetOption).toHaveCount(0);

  // The model is offered under its qualified id and answers, streamed.
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await page.getByTestId('model-picker').selectOption('claude/claude-haiku-4-5');
  await page.getByTestId('composer').fill('Hello Claude');
  await page.getByTestId('send').click();
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'complete');
  expect((await reply.locator('.message-text').innerText()).trim().length).toBeGreaterThan(0);

  // Its tokens and cost at list prices appear under the reply when it ends (from the stream),
  // and the conversation's totals in the header.
  const usage = reply.getByTestId('message-usage');
  await expect(usage).toHaveText(/^claude\/claude-haiku-4-5 · \d+ in \/ \d+ out · \$0\.0*[1-9]\d* · .+ to first token$/);
  const usageText = await usage.innerText();
  const totals = page.getByTestId('conversation-usage');
  await expect(totals).toHaveText(/^[\d,]+ tokens · \$0\.0*[1-9]\d*$/);
  const totalsText = await totals.innerText();
  // Loaded directly: the same line and totals, now from the usage ledger.
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);
  await page.goto(page.url());
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId('message-usage'))
    .toHaveText(usageText);
  await expect(page.getByTestId('conversation-usage')).toHaveText(totalsText);

  // Parameters: a temperature, a cap of 2 output tokens and a seed, saved for this conversation.
  // The fake answers "You said: …", a token a word, so the cap shows in the reply; Anthropic takes
  // no seed, so the reply says it was not sent (instead of the upstream refusing the request).
  await page.getByTestId('params-toggle').click();
  await expect(page.getByTestId('params-panel')).toBeVisible();
  await expect(page.getByTestId('save-params')).toBeEnabled();
  await expect(page.getByTestId('param-temperature')).toHaveValue('');
  // The refused save is a 400 answer, which Chromium logs.
  expectConsoleErrors(/status of 400 .*\[.*\/api\/chat\/save-settings\]$/);
  await page.getByTestId('param-temperature').fill('5');
  await page.getByTestId('save-params').click();
  await expect(page.getByTestId('params-panel')).toContainText('use a number from 0 to 2');
  await page.getByTestId('param-temperature').fill('0.5');
  await page.getByTestId('param-max-tokens').fill('2');
  await page.getByTestId('param-seed').fill('7');
  await page.getByTestId('save-params').click();
  await expect(page.getByTestId('params-saved')).toBeVisible();
  await page.getByTestId('params-toggle').click();
  await expect(page.getByTestId('params-panel')).toBeHidden();
  await page.getByTestId('composer').fill('Warm and short');
  await page.getByTestId('send').click();
  const replies = page.locator('[data-testid="message"][data-role="assistant"]');
  await expect(replies).toHaveCount(2);
  await expect(replies.nth(1)).toHaveAttribute('data-status', 'complete');
  await expect(replies.nth(1).locator('.message-text')).toHaveText('You said:');
  await expect(replies.nth(1).getByTestId('dropped-params')).toHaveText(/: seed$/);
  await expect(replies.nth(0).getByTestId('dropped-params')).toHaveCount(0);
  // Loaded directly: the panel shows what was saved, and the note is still under the reply.
  await page.goto(page.url());
  await expect(page.getByTestId('send')).toBeEnabled();
  await expect(replies.nth(1).getByTestId('dropped-params')).toHaveText(/: seed$/);
  await page.getByTestId('params-toggle').click();
  await expect(page.getByTestId('param-temperature')).toHaveValue('0.5');
  await expect(page.getByTestId('param-max-tokens')).toHaveValue('2');
  await expect(page.getByTestId('param-seed')).toHaveValue('7');

  // Removed: gone from the page and from the model picker.
  await page.goto('/admin/connections');
  await expect(page.getByTestId('save-connection')).toBeEnabled();
  await row.getByTestId('remove-connection').click();
  await expect(row).toHaveCount(0);
  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await expect(page.locator('[data-testid="model-picker"] option[value="claude/claude-haiku-4-5"]')).toHaveCount(0);
});

test('an admin manages an Ollama server: load and unload live, pull with a progress bar', async ({ page }) => {
  test.setTimeout(180_000);
  page.on('dialog', (d) => d.accept());
  await logIn(page, email, password);
  await page.goto('/admin/connections');
  const row = await addConnection(page, { kind: 'ollama', name: 'lab', baseUrl: ollama.values.base_url });
  await row.getByTestId('test-connection').click();
  await expect(row.getByTestId('test-result')).toHaveAttribute('data-ok', 'true');
  await row.getByTestId('ollama-models-link').click();
  await expect(page).toHaveURL(/\/admin\/connections\/[^/]+\/models$/);
  const modelsUrl = page.url();

  // A second page on the same models, to see that changes reach it without a reload.
  const other = await page.context().newPage();
  await other.goto(modelsUrl);
  const llama = (p: typeof page) => p.locator('[data-testid="ollama-model"][data-name="llama3.2:latest"]');
  await expect(llama(other)).toHaveAttribute('data-status', 'not loaded');
  await expect(llama(page).getByTestId('start-model')).toBeEnabled();

  await llama(page).getByTestId('start-model').click();
  await expect(llama(page)).toHaveAttribute('data-status', 'loaded');
  await expect(llama(page)).toContainText('until');
  await expect(llama(other)).toHaveAttribute('data-status', 'loaded');
  await llama(page).getByTestId('stop-model').click();
  await expect(llama(page)).toHaveAttribute('data-status', 'not loaded');
  await expect(llama(other)).toHaveAttribute('data-status', 'not loaded');

  // A pull: the fake holds each step until told, so the bar is seen part-way.
  await page.getByTestId('pull-model').fill('qwen3:0.6b');
  await page.getByTestId('pull-start').click();
  const pull = page.getByTestId('pull');
  await expect(pull).toHaveAttribute('data-status', 'running');
  ollama.send('release 3');
  await expect(page.getByTestId('pull-status')).toContainText('pulling');
  await expect.poll(async () => Number(await page.getByTestId('pull-progress').getAttribute('value'))).toBeGreaterThan(0);
  await expect(other.getByTestId('pull')).toHaveAttribute('data-status', 'running');
  ollama.send('release 100');
  await expect(pull).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('pull-status')).toHaveText('qwen3:0.6b is installed');
  await expect(page.locator('[data-testid="ollama-model"][data-name="qwen3:0.6b"]')).toBeVisible();
  await expect(other.locator('[data-testid="ollama-model"][data-name="qwen3:0.6b"]')).toBeVisible();
  await other.close();

  // A pull of a model the library does not have says why.
  await page.getByTestId('pull-model').fill('no-such-model');
  await page.getByTestId('pull-start').click();
  await expect(pull).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('pull-status')).toContainText('failed');

  // Loaded directly: the page works and lists both models.
  await page.goto(modelsUrl);
  await expect(llama(page).getByTestId('start-model')).toBeEnabled();
  await expect(page.getByTestId('ollama-model')).toHaveCount(2);

  // Removing the connection stops its live stream cleanly.
  await page.goto('/admin/connections');
  await expect(page.getByTestId('save-connection')).toBeEnabled();
  await row.getByTestId('remove-connection').click();
  await expect(row).toHaveCount(0);
});
