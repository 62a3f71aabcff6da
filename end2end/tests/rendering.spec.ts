// Replies render as Markdown made safe on the server: a table and highlighted code, the same after
// a reload, and model output written to run script (the Anthropic fake answers "You said: " and
// the question, so the question is what the model writes) leaves nothing executable in the DOM.
import { createUser, logIn } from '../support/accounts';
import { addConnection } from '../support/connections';
import { startFake, type Fake } from '../support/fakes';
import { expect, test } from '../support/fixtures';

const email = `render-${Date.now()}@example.com`;
const password = 'difference-engine-1822';
let anthropic: Fake;

test.beforeAll(async () => {
  createUser(email, password, 'admin');
  anthropic = await startFake('fake_anthropic', [], ['base_url', 'api_key']);
});

test.afterAll(() => anthropic?.stop());

const question = [
  'Here:',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  '```rust',
  'fn main() { println!("hi"); }',
  '```',
  '',
  '<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> [j](javascript:window.__xss=3)',
  '<svg onload="window.__xss = 4"><script>window.__xss = 5</script></svg> <iframe src="https://evil.example/"></iframe>',
  '![pixel](https://evil.example/p.png) <a href="javascript:window.__xss=6" onclick="window.__xss=7">a</a>',
  '',
  '```js" onmouseover="window.__xss = 8',
  'x',
  '```',
].join('\n');

/** What in the reply could run or load something, if anything. */
async function executable(page: import('@playwright/test').Page) {
  return page.evaluate(() => {
    const root = document.querySelector('[data-testid="message"][data-role="assistant"] [data-testid="message-markdown"]');
    if (!root) return 'no rendered reply';
    for (const el of Array.from(root.querySelectorAll('*'))) {
      const tag = el.tagName.toLowerCase();
      if (['script', 'svg', 'iframe', 'img', 'style', 'form', 'object', 'embed'].includes(tag)) return `<${tag}>`;
      for (const a of Array.from(el.attributes)) {
        const url = ['href', 'src', 'action'].includes(a.name);
        if (a.name.startsWith('on') || a.name === 'style' || (url && !/^(https?:|mailto:)/i.test(a.value))) {
          return `${a.name}=${a.value} on <${tag}>`;
        }
      }
    }
    return (window as unknown as { __xss?: number }).__xss ? 'a payload ran' : null;
  });
}

test('a reply renders tables and highlighted code, the same after a reload, and nothing in it runs', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/admin/connections');
  const row = await addConnection(page, {
    kind: 'anthropic',
    name: 'render',
    baseUrl: anthropic.values.base_url,
    key: anthropic.values.api_key,
    models: 'claude-haiku-4-5',
  });
  await expect(row).toContainText('saved');

  await page.goto('/');
  await expect(page.getByTestId('composer')).toBeEnabled();
  await page.getByTestId('model-picker').selectOption('render/claude-haiku-4-5');
  await page.getByTestId('composer').fill(question);
  await page.getByTestId('send').click();
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'complete');
  const rendered = reply.getByTestId('message-markdown');
  await expect(rendered.locator('table td')).toHaveText(['1', '2']);
  await expect(rendered.locator('.code-lang').first()).toHaveText('rust');
  expect(await rendered.locator('pre span[class*="hl-"]').count()).toBeGreaterThan(0);
  // The hostile parts are shown as text; the image is a link to it.
  await expect(rendered).toContainText('<script>window.__xss = 1</script>');
  await expect(rendered.locator('a', { hasText: 'pixel' })).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await rendered.locator('pre').last().hover();
  expect(await executable(page)).toBeNull();
  // Leptos's hydration markers (comments) differ between a page rendered in the browser and one
  // rendered on the server; the reply's own HTML must not.
  const markup = async (l: import('@playwright/test').Locator) => (await l.innerHTML()).replace(/<!--[^]*?-->/g, '');
  const live = await markup(rendered);

  // Loaded directly (as a reload does): the same HTML, rendered on the server.
  await page.goto(page.url());
  await expect(page.getByTestId('send')).toBeEnabled();
  const saved = page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId('message-markdown');
  await expect(saved.locator('table')).toBeVisible();
  expect(await markup(saved)).toBe(live);
  expect(await executable(page)).toBeNull();

  // The copy button puts the block's code on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await saved.locator('.copy-code').first().click();
  await expect(saved.locator('.copy-code').first()).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('fn main() { println!("hi"); }\n');
});
