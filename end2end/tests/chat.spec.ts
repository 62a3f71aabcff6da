// What a person does on a fresh instance: sign up (first user → admin), chat with the local model
// and watch the answer stream in (then its tokens, free, under it), reload, log out.
import { expect, expectConsoleErrors, test } from '../support/fixtures';

const email = `ada-${Date.now()}@example.com`;
const password = 'analytical-engine-1843';

test('register, chat with a streamed answer, reload, log out', async ({ page }) => {
  // The local model writes up to 1,024 tokens: well under a minute alone, minutes on a busy machine.
  test.setTimeout(360_000);
  await page.goto('/register');
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await expect(page.getByTestId('strength')).toBeVisible();
  await page.getByTestId('password-confirm').fill(password);
  await page.getByTestId('submit').click();

  // Logged in, on the chat page; the first account is admin, so the admin link shows.
  await expect(page.getByTestId('composer')).toBeVisible();
  await expect(page.getByRole('link', { name: /admin/i })).toBeVisible();

  // A new conversation: the answer must appear progressively, token by token.
  await page.getByTestId('new-chat').click();
  await page.getByTestId('composer').fill('Write a short poem about the sea.');
  await page.getByTestId('send').click();
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  const replyText = reply.locator('.message-text');
  await expect(reply).toBeVisible();
  const lengths: number[] = [];
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const text = (await replyText.innerText()).trim();
    if (lengths.length === 0 || lengths[lengths.length - 1] !== text.length) lengths.push(text.length);
    if ((await reply.getAttribute('data-status')) !== 'streaming') break;
    await page.waitForTimeout(25);
  }
  await expect(reply).toHaveAttribute('data-status', 'complete');
  const finalText = (await replyText.innerText()).trim();
  expect(finalText.length).toBeGreaterThan(0);
  // At least three distinct partial lengths seen before completion: it streamed, not all at once.
  expect(lengths.filter((n) => n > 0 && n < finalText.length).length).toBeGreaterThanOrEqual(3);
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);
  const conversationUrl = page.url();

  // Under the reply as soon as it ends: the local model's tokens, which cost nothing; the
  // conversation's totals in its header.
  const usage = reply.getByTestId('message-usage');
  await expect(usage).toHaveText(/ · \d+ in \/ \d+ out · free · .+ to first token$/);
  const usageText = await usage.innerText();
  const totals = page.getByTestId('conversation-usage');
  await expect(totals).toHaveText(/^[\d,]+ tokens · free$/);
  const totalsText = await totals.innerText();

  // Reload: the conversation and the answer are still there (its usage now read from the ledger,
  // the same), and the page is usable again.
  await page.reload();
  await expect(page.getByTestId('send')).toBeEnabled();
  const again = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(again.locator('.message-text')).toHaveText(finalText);
  await expect(again.getByTestId('message-usage')).toHaveText(usageText);
  await expect(page.getByTestId('conversation-usage')).toHaveText(totalsText);
  await expect(page.locator('[data-testid="message"][data-role="user"] .message-text').last()).toHaveText('Write a short poem about the sea.');
  await expect(page.getByTestId('conversation-item')).toHaveCount(1);

  // Log out: the conversation is no longer reachable.
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(conversationUrl);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId('message')).toHaveCount(0);
});

test('a wrong password shows a clear error', async ({ page }) => {
  // Chromium logs the refused login (401) as a failed resource load.
  expectConsoleErrors(/status of 401 .*\[.*\/api\/auth\/login\]$/);
  await page.goto('/login');
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill('not-the-password');
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('form-error')).toContainText('wrong email or password');
});
