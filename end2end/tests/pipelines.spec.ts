// The code factory as a person uses it: build a pipeline on the canvas by dragging from the
// palette and connecting ports, save it, run it from the form its Input node makes, watch the
// nodes take their colours and open a node's output; then start from a template whose LLM node
// runs on the local model and watch it go from running to done; share one with another user, who
// opens it read-only and runs it. Pages are loaded directly too.
import type { Locator, Page } from '@playwright/test';
import { createUser, logIn } from '../support/accounts';
import { expect, expectConsoleErrors, test } from '../support/fixtures';

const email = `ada-pipelines-${Date.now()}@example.com`;
const password = 'analytical-engine-1843';
const colleague = `charles-pipelines-${Date.now()}@example.com`;
const admin = `grace-pipelines-${Date.now()}@example.com`;

async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const box = await l.boundingBox();
  expect(box, 'element on screen').not.toBeNull();
  return { x: box!.x + box!.width / 2, y: box!.y + box!.height / 2 };
}

/** A pointer drag from one element's centre to a point, in steps (as a hand moves). */
async function dragTo(page: Page, from: Locator, to: { x: number; y: number }) {
  const a = await centre(from);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + to.x) / 2, (a.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 4 });
  await page.mouse.up();
}

const node = (page: Page, id: string) => page.locator(`[data-testid="node"][data-node="${id}"]`);
const port = (page: Page, id: string, dir: 'in' | 'out', name: string) =>
  node(page, id).locator(`[data-testid="port-${dir}"][data-port="${name}"]`);

test.beforeAll(() => {
  createUser(email, password);
  createUser(colleague, password);
  createUser(admin, password, 'admin');
});

test('build a pipeline by dragging and connecting, save, run it and open a node\'s output', async ({ page }) => {
  test.setTimeout(180_000);
  await logIn(page, email, password);

  await page.getByTestId('nav-pipelines').click();
  await expect(page).toHaveURL(/\/pipelines$/);
  await page.getByTestId('new-pipeline').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  const builderUrl = page.url();
  await expect(node(page, 'input')).toBeVisible();
  await expect(node(page, 'output')).toBeVisible();
  await expect(page.getByTestId('builder-version')).toHaveText('version 1');

  // A Template node, dragged from the palette onto the canvas between the two.
  const canvas = page.getByTestId('canvas');
  await expect(page.getByTestId('palette-template')).toBeEnabled();
  const inputBox = (await node(page, 'input').boundingBox())!;
  const outputBox = (await node(page, 'output').boundingBox())!;
  const drop = { x: (inputBox.x + inputBox.width + outputBox.x) / 2, y: inputBox.y + inputBox.height + 120 };
  await dragTo(page, page.getByTestId('palette-template'), drop);
  await expect(node(page, 'template')).toBeVisible();
  await expect(page.getByTestId('node-settings')).toContainText('template · template');

  // Undo takes it away, redo brings it back.
  await canvas.focus();
  await page.keyboard.press('Control+z');
  await expect(node(page, 'template')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(node(page, 'template')).toBeVisible();

  // The edge Input → Output goes; the Template goes in between.
  const direct = page.locator('[data-edge="input.text → output.result"]');
  await expect(direct).toHaveCount(1);
  const mid = await centre(direct);
  await page.mouse.click(mid.x, mid.y);
  await expect(direct).toHaveClass(/selected/);
  await page.keyboard.press('Delete');
  await expect(direct).toHaveCount(0);
  await dragTo(page, port(page, 'input', 'out', 'text'), await centre(port(page, 'template', 'in', 'text')));
  await dragTo(page, port(page, 'template', 'out', 'text'), await centre(port(page, 'output', 'in', 'result')));
  await expect(page.locator('[data-edge="input.text → template.text"]')).toHaveCount(1);
  await expect(page.locator('[data-edge="template.text → output.result"]')).toHaveCount(1);

  // Its template, in the settings panel.
  await node(page, 'template').click();
  const template = page.getByTestId('node-template');
  await template.fill('Hello {{ text }}!');
  await template.press('Tab');
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (0)');

  // A broken template is a problem on the node, listed with its name; fixing it clears it.
  await page.getByTestId('node-inputs').fill('text: text\nextra: number');
  await page.getByTestId('node-inputs').press('Tab');
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (1)');
  await expect(node(page, 'template')).toHaveClass(/problem/);
  await page.getByTestId('tab-problems').click();
  await expect(page.getByTestId('problem')).toContainText('node "template", port "extra"');
  await expect(port(page, 'template', 'in', 'extra')).toHaveCount(1);
  await canvas.focus();
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (0)');
  // The node is drawn from the restored settings, not its old ones.
  await expect(port(page, 'template', 'in', 'extra')).toHaveCount(0);

  // Moving a node, and undoing the move, puts it back where it was.
  const before = await node(page, 'template').getAttribute('transform');
  const title = node(page, 'template').locator('.node-title');
  const at = await centre(title);
  await dragTo(page, title, { x: at.x + 60, y: at.y + 40 });
  await expect(node(page, 'template')).not.toHaveAttribute('transform', before!);
  await page.keyboard.press('Control+z');
  await expect(node(page, 'template')).toHaveAttribute('transform', before!);

  await page.getByTestId('save-pipeline').click();
  await expect(page.getByTestId('builder-version')).toHaveText('version 2');

  // Loaded directly (as a reload does), the saved graph comes back.
  await page.goto(builderUrl);
  await expect(page.locator('[data-edge="template.text → output.result"]')).toHaveCount(1);
  await expect(page.getByTestId('builder-version')).toHaveText('version 2');

  // Run it from the form its Input node makes.
  await expect(page.getByTestId('run-pipeline')).toBeEnabled();
  await page.getByTestId('run-pipeline').click();
  await page.getByTestId('run-input-text').fill('world');
  await page.getByTestId('start-run').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]+$/);
  const runUrl = page.url();
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');
  for (const id of ['input', 'template', 'output']) {
    await expect(node(page, id)).toHaveClass(/status-succeeded/);
  }
  await expect(page.getByTestId('run-outputs')).toContainText('Hello world!');

  // A node's output, by clicking it.
  await node(page, 'template').click();
  await expect(page.getByTestId('node-details')).toContainText('succeeded');
  await expect(page.getByTestId('node-outputs')).toContainText('"text": "Hello world!"');

  // The run page loaded directly.
  await page.goto(runUrl);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');
  await expect(node(page, 'template')).toHaveClass(/status-succeeded/);

  // The builder lists the run.
  await page.goto(builderUrl);
  await page.getByTestId('tab-runs').click();
  await expect(page.getByTestId('runs').locator('li')).toHaveCount(1);

  // Published as a model from the pipeline's settings, it answers OpenAI-style completions.
  await page.getByTestId('tab-settings').click();
  await page.getByTestId('pipeline-publish-as').fill('greeter');
  await page.getByTestId('pipeline-publish-as').press('Tab');
  await expect(page.getByTestId('pipeline-settings')).toContainText('pipeline:greeter');
  await page.getByTestId('save-pipeline').click();
  await expect(page.getByTestId('builder-version')).toHaveText('version 3');
  const models = await page.request.get('/v1/models');
  expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain('pipeline:greeter');
  const answer = await page.request.post('/v1/chat/completions', {
    data: { model: 'pipeline:greeter', messages: [{ role: 'user', content: 'models' }] },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(answer.status(), await answer.text()).toBe(200);
  expect((await answer.json()).choices[0].message.content).toBe('Hello models!');
});

test('start from a template and watch its LLM node run on the local model', async ({ page }) => {
  test.setTimeout(300_000);
  await logIn(page, email, password);
  await page.goto('/pipelines');
  await page.getByTestId('template-write-tests').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  await expect(page.getByTestId('builder-name')).toHaveText('Write tests for this code');
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (0)');

  await page.getByTestId('run-pipeline').click();
  await page.getByTestId('run-input-code').fill('def add(a, b):\n    return a + b');
  await page.getByTestId('start-run').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]+$/);

  // The LLM node is seen running, then done; the run's output is rendered.
  await expect(node(page, 'tests')).toHaveClass(/status-running/);
  await expect(node(page, 'tests')).toHaveClass(/status-succeeded/, { timeout: 240_000 });
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');
  await expect(page.getByTestId('run-outputs').locator('.md-block')).not.toBeEmpty();
  await node(page, 'tests').click();
  await expect(page.getByTestId('node-outputs')).toContainText('"text"');
});

test('share a pipeline: the colleague sees it read-only and runs it, but cannot change it', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/pipelines');
  await page.getByTestId('new-pipeline').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  const builderUrl = page.url();

  // Shared to view, then let run.
  await page.getByTestId('tab-sharing').click();
  await expect(page.getByTestId('no-shares')).toBeVisible();
  await page.getByTestId('share-email').fill(colleague.toUpperCase());
  await page.getByTestId('share-access').selectOption('view');
  await page.getByTestId('share-submit').click();
  const share = page.getByTestId('share');
  await expect(share).toHaveCount(1);
  await expect(share).toContainText(colleague);
  await expect(share).toContainText('view only');
  await share.getByRole('button', { name: 'Let run' }).click();
  await expect(share).toContainText('can run');
  // Someone without an account is told so (Chromium logs the 400).
  expectConsoleErrors(/status of 400 .*\/api\/pipelines\/share/);
  await page.getByTestId('share-email').fill('nobody-here@example.com');
  await page.getByTestId('share-submit').click();
  await expect(page.getByTestId('share-error')).toContainText('no user has the email');

  // The colleague, loading the builder directly: read-only, with a Run button.
  await page.context().clearCookies();
  await logIn(page, colleague, password);
  await page.goto(builderUrl);
  await expect(page.getByTestId('shared-banner')).toHaveText('shared with you: you can run it');
  await expect(node(page, 'input')).toBeVisible();
  await expect(page.getByTestId('palette-template')).toHaveCount(0);
  await expect(page.getByTestId('save-pipeline')).toHaveCount(0);
  await expect(page.getByTestId('tab-sharing')).toHaveCount(0);
  await node(page, 'input').click();
  await expect(page.getByTestId('settings-fieldset')).toHaveAttribute('disabled', '');
  await expect(page.getByTestId('settings-fieldset').locator('input').first()).toBeDisabled();

  await page.getByTestId('run-pipeline').click();
  await page.getByTestId('run-input-text').fill('shared');
  await page.getByTestId('start-run').click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]+$/);
  await expect(page.getByTestId('run-status')).toHaveText('succeeded');

  // In the list: whose it is and what the colleague may do, and no Delete.
  await page.goto('/pipelines');
  const row = page.getByTestId('pipeline-row').filter({ hasText: email });
  await expect(row.getByTestId('shared-access')).toHaveText('can run');
  await expect(row.getByRole('button', { name: 'Delete' })).toHaveCount(0);
});

test('an admin allows a host, and the builder checks an HTTP request node\'s URL against it', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, admin, password);
  await page.goto('/admin');
  await expect(page.getByTestId('save-pipeline-hosts')).toBeEnabled();
  await page.getByTestId('pipeline-hosts').fill('api.example.com\n*.example.org');
  await page.getByTestId('save-pipeline-hosts').click();
  await expect(page.getByTestId('pipeline-hosts-stored')).toHaveText('Allowed: api.example.com, *.example.org');
  await page.reload();
  await expect(page.getByTestId('pipeline-hosts')).toHaveValue('api.example.com\n*.example.org');

  await page.goto('/pipelines');
  await page.getByTestId('new-pipeline').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  await expect(page.getByTestId('palette-http')).toBeEnabled();
  await page.getByTestId('palette-http').click();
  await expect(node(page, 'http')).toBeVisible();
  await node(page, 'http').click();
  await page.getByTestId('node-url').fill('https://evil.example.net/{{ text }}');
  await page.getByTestId('node-url').press('Tab');
  await page.getByTestId('tab-problems').click();
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('the host "evil.example.net" is not one an admin allowed');
  await page.getByTestId('tab-settings').click();
  await node(page, 'http').click();
  await page.getByTestId('node-url').fill('https://docs.example.org/{{ text }}');
  await page.getByTestId('node-url').press('Tab');
  await page.getByTestId('tab-problems').click();
  await expect(problems).not.toContainText('evil.example.net');
  await expect(problems).not.toContainText('is not one an admin allowed');
});

test('a Pipeline node picks another pipeline and takes its inputs and results as ports', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/pipelines');
  await page.getByTestId('new-pipeline').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  const called = page.url().split('/').pop()!;
  await page.goto('/pipelines');
  await page.getByTestId('new-pipeline').click();
  await expect(page).not.toHaveURL(new RegExp(called));
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);

  await expect(page.getByTestId('palette-pipeline')).toBeEnabled();
  await page.getByTestId('palette-pipeline').click();
  await node(page, 'pipeline').click();
  await page.getByTestId('node-pipeline').selectOption(called);
  // The blank pipeline takes `text` and gives `result`: those are the node's ports now.
  await expect(port(page, 'pipeline', 'in', 'text')).toBeVisible();
  await expect(port(page, 'pipeline', 'out', 'result')).toBeVisible();
  await page.getByTestId('tab-problems').click();
  await expect(page.getByTestId('problems')).toContainText('node "pipeline", port "text"');
  await expect(page.getByTestId('problems')).not.toContainText('pick the pipeline');
});

test('open a loop\'s body on the canvas, change it there, and find the change saved', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, email, password);
  await page.goto('/pipelines');
  await page.getByTestId('template-spec-code-review').click();
  await expect(page).toHaveURL(/\/pipelines\/[0-9a-f-]+$/);
  const builderUrl = page.url();
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (0)');
  await expect(page.getByTestId('palette-template')).toBeEnabled();
  await expect(node(page, 'revise')).toContainText('6 inside');

  // A double-click opens the body: its nodes replace the pipeline's, with a trail back.
  await node(page, 'revise').locator('.node-title').dblclick();
  await expect(page.getByTestId('scope-current')).toHaveText('body of revise');
  await expect(node(page, 'review')).toBeVisible();
  await expect(node(page, 'write')).toHaveCount(0);
  await expect(page.getByTestId('body-settings')).toBeVisible();

  // A Template node dropped into the body, its input not yet connected: a problem named by its
  // path, marked on it here and on the loop above.
  const reviewBox = (await node(page, 'review').boundingBox())!;
  await dragTo(page, page.getByTestId('palette-template'), { x: reviewBox.x + reviewBox.width / 2, y: reviewBox.y + reviewBox.height + 150 });
  await expect(node(page, 'template')).toBeVisible();
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (1)');
  await expect(node(page, 'template')).toHaveClass(/problem/);
  await page.getByTestId('scope-top').click();
  await expect(page.getByTestId('scope')).toHaveCount(0);
  await expect(node(page, 'write')).toBeVisible();
  await expect(node(page, 'template')).toHaveCount(0);
  await expect(node(page, 'revise')).toContainText('7 inside');
  await expect(node(page, 'revise')).toHaveClass(/problem/);

  // The problem's link goes back into the body and selects the node.
  await page.getByTestId('tab-problems').click();
  await expect(page.getByTestId('problem')).toContainText('node "revise/template", port "text"');
  await page.getByTestId('problem').click();
  await expect(page.getByTestId('scope-current')).toHaveText('body of revise');
  await expect(node(page, 'template')).toHaveClass(/selected/);

  // Connected, the problem goes; saved from inside the body, the whole pipeline is saved.
  await dragTo(page, port(page, 'start', 'out', 'code'), await centre(port(page, 'template', 'in', 'text')));
  await expect(page.locator('[data-edge="start.code → template.text"]')).toHaveCount(1);
  await expect(page.getByTestId('tab-problems')).toHaveText('Problems (0)');
  await page.getByTestId('save-pipeline').click();
  await expect(page.getByTestId('builder-version')).toHaveText('version 2');

  // Escape goes up a level.
  await page.getByTestId('canvas').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('scope')).toHaveCount(0);
  await expect(node(page, 'revise')).toHaveClass(/selected/);

  // Loaded directly, the body holds the new node and edge; opened from the settings panel.
  await page.goto(builderUrl);
  await expect(page.getByTestId('builder-version')).toHaveText('version 2');
  await expect(node(page, 'revise')).toContainText('7 inside');
  // The node is in the server's HTML before the page is hydrated: a click before then is lost
  // (this test timed out that way once on the release bundle). Save is enabled at hydration.
  await expect(page.getByTestId('save-pipeline')).toBeEnabled();
  await node(page, 'revise').click();
  await page.getByTestId('open-body').click();
  await expect(page.getByTestId('scope-current')).toHaveText('body of revise');
  await expect(page.locator('[data-edge="start.code → template.text"]')).toHaveCount(1);
  await page.getByTestId('close-body').click();
  await expect(page.getByTestId('scope')).toHaveCount(0);
  await expect(page.getByTestId('builder-version')).toHaveText('version 2');
});
