// SiteChat as a person uses it: create a knowledge base, crawl a small website while watching
// the progress bar, then ask a question in a chat with the knowledge base attached and check the
// answer cites the right page. The site is served by Node inside the test.
import { createUser, logIn } from '../support/accounts';
import { expect, expectConsoleErrors, test } from '../support/fixtures';
import { startTestSite, type TestSite } from '../support/test-site';

const email = `grace-${Date.now()}@example.com`;
const password = 'compiler-pioneer-1952';
let site: TestSite;

test.beforeAll(async () => {
  site = await startTestSite();
});

test.afterAll(async () => {
  await site?.close();
});

interface Sample { status: string; done: number; total: number }

test('crawl a website with a progress bar, then chat with cited sources', async ({ page }) => {
  test.setTimeout(480_000);
  // Not the instance's first account: made by the admin's CLI (sign-ups may need approval).
  createUser(email, password);
  await logIn(page, email, password);

  // A new knowledge base, from the sidebar's Knowledge link.
  await page.getByTestId('nav-knowledge').click();
  await expect(page).toHaveURL(/\/kb$/);
  await page.getByTestId('kb-name').fill('Acme docs');
  await page.getByTestId('create-kb').click();
  await expect(page).toHaveURL(/\/kb\/[0-9a-f-]+$/);
  const kbId = page.url().split('/').pop()!;
  await expect(page.getByTestId('kb-title')).toHaveText('Acme docs');

  // Crawl the site and watch the job until it ends.
  await page.getByTestId('crawl-url').fill(`${site.origin}/`);
  await page.getByTestId('crawl-max-pages').fill('20');
  await page.getByTestId('crawl-max-depth').fill('3');
  await page.getByTestId('crawl-start').click();
  const job = page.getByTestId('job');
  await expect(job).toBeVisible();
  await expect(page.getByTestId('job-progress')).toBeVisible();
  const samples: Sample[] = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const s = {
      status: (await job.getAttribute('data-status')) ?? '',
      done: Number(await job.getAttribute('data-done')),
      total: Number(await job.getAttribute('data-total')),
    };
    const last = samples[samples.length - 1];
    if (!last || last.status !== s.status || last.done !== s.done || last.total !== s.total) samples.push(s);
    if (['done', 'failed', 'cancelled'].includes(s.status)) break;
    await page.waitForTimeout(100);
  }
  const final = samples[samples.length - 1];
  expect(final.status, JSON.stringify(samples)).toBe('done');
  // The bar advanced: seen part-way (some pages done, more to go) before the end.
  const partial = samples.filter((s) => s.status !== 'done' && s.done > 0 && s.done < s.total);
  expect(partial.length, JSON.stringify(samples)).toBeGreaterThan(0);
  expect(new Set(samples.map((s) => s.done)).size).toBeGreaterThan(2);
  const bar = page.getByTestId('job-progress');
  expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
  await expect(page.getByTestId('cancel-job')).toHaveCount(0);
  // The broken page is listed with its reason.
  await expect(page.getByTestId('job-error').filter({ hasText: '/broken' })).toHaveCount(1);

  // The documents: the pages with facts, the pricing page linked to its URL; nothing private.
  const docs = page.getByTestId('document-row');
  await expect(page.getByTestId('documents')).toBeVisible();
  const pricingDoc = docs.filter({ has: page.locator(`a[href="${site.origin}/pricing"]`) });
  await expect(pricingDoc).toHaveCount(1);
  await expect(pricingDoc).toContainText('Pricing');
  await expect(docs.filter({ hasText: 'Security' })).toHaveCount(1);
  await expect(docs.filter({ hasText: 'Secret' })).toHaveCount(0);
  await expect(page.getByTestId('kb-counts')).toContainText(/[1-9]\d* documents/);

  // Upload a file: the progress panel follows its job and the document joins the list.
  await page.getByTestId('upload-input').setInputFiles({
    name: 'refunds.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('# Refunds\n\nRefunds are issued within 14 days of a cancellation request.\n'),
  });
  await page.getByTestId('upload').click();
  await expect(job).toHaveAttribute('data-total', '1');
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(docs.filter({ hasText: 'Refunds' })).toHaveCount(1);
  // A file whose content is not what its name says is refused, by name, before anything is stored.
  await page.getByTestId('upload-input').setInputFiles({
    name: 'invoice.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('this is plain text, not a PDF'),
  });
  expectConsoleErrors(/status of 400 .*\[.*\/documents\]$/);
  await page.getByTestId('upload').click();
  await expect(page.getByRole('alert').filter({ hasText: 'invoice.pdf' })).toBeVisible();

  // The list shows it with its counts.
  await page.goto('/kb');
  const row = page.getByTestId('kb-row').filter({ hasText: 'Acme docs' });
  await expect(row.getByTestId('kb-documents')).not.toHaveText('0');
  await expect(row.getByTestId('kb-chunks')).not.toHaveText('0');

  // A new chat with the knowledge base attached.
  await page.goto('/');
  await page.getByTestId('kb-picker-toggle').click();
  await page.locator(`[data-testid="kb-option"][data-kb-id="${kbId}"]`).check();
  await expect(page.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: 1');
  await page.getByTestId('composer').fill('How much does the Team plan cost per seat?');
  await page.getByTestId('send').click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+$/);
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(reply).toHaveAttribute('data-status', 'complete', { timeout: 300_000 });

  // The local model answers from knowledge by quoting the sentence that holds the answer, cited.
  await expect(reply.locator('.message-text')).toContainText('42 euros per seat');
  await expect(reply.locator('.message-text')).toContainText(/\[\d\]/);
  // The reply's sources include the pricing page, linked, with the passage behind a toggle.
  const checkSources = async () => {
    const sources = reply.getByTestId('sources');
    await expect(sources).toBeVisible();
    const pricing = sources.getByTestId('source').filter({
      has: page.locator(`[data-testid="source-link"][href="${site.origin}/pricing"]`),
    });
    await expect(pricing.first()).toBeVisible();
    // One item per page, naming the section the passage came from (issue: a page listed twice).
    await expect(pricing).toHaveCount(1);
    await expect(pricing.getByTestId('source-heading').filter({ hasText: '› Team plan' })).toHaveCount(1);
    await expect(pricing.first().getByTestId('source-title')).toContainText('Pricing');
    const link = pricing.first().getByTestId('source-link');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(link).toHaveAttribute('target', '_blank');
    await pricing.first().locator('summary').click();
    await expect(pricing.first().getByTestId('source-text')).toContainText('42 euros per seat');
  };
  await checkSources();
  // The conversation keeps the knowledge base, and the reply its sources, after a reload.
  await page.reload();
  await expect(page.getByTestId('kb-picker-toggle')).toHaveText('Knowledge: 1');
  await checkSources();

  // The conversation can ask for written answers instead; the choice is kept.
  await page.getByTestId('params-toggle').click();
  await expect(page.getByTestId('save-params')).toBeEnabled();
  await expect(page.getByTestId('param-answer-style')).toHaveValue('');
  await page.getByTestId('param-answer-style').selectOption('generate');
  await page.getByTestId('save-params').click();
  await expect(page.getByTestId('params-saved')).toBeVisible();
  await page.reload();
  await page.getByTestId('params-toggle').click();
  await expect(page.getByTestId('param-answer-style')).toHaveValue('generate');

  // robots.txt was read and honoured: the private page was never requested.
  expect(site.requests).toContain('/robots.txt');
  expect(site.requests).toContain('/pricing');
  expect(site.requests).not.toContain('/private/secret');
});
