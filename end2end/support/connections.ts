// Adding a provider connection through Admin → Connections, as an administrator does.
import type { Locator, Page } from '@playwright/test';
import { expect } from './fixtures';

export interface NewConnection {
  kind: 'openai' | 'anthropic' | 'bedrock' | 'ollama';
  name: string;
  baseUrl: string;
  key?: string;
  /** Comma-separated model ids (empty: the provider's own list). */
  models?: string;
}

/** Fills and saves the form on the page (already on `/admin/connections`); returns the row. */
export async function addConnection(page: Page, c: NewConnection): Promise<Locator> {
  await expect(page.getByTestId('save-connection')).toBeEnabled();
  await page.getByTestId('connection-kind').selectOption(c.kind);
  await page.getByTestId('connection-name').fill(c.name);
  await page.getByTestId('connection-base-url').fill(c.baseUrl);
  if (c.key !== undefined) await page.getByTestId('connection-key').fill(c.key);
  if (c.models !== undefined) await page.getByTestId('connection-models').fill(c.models);
  await page.getByTestId('save-connection').click();
  return page.locator(`[data-testid="connection-row"][data-name="${c.name}"]`);
}
