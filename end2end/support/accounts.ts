// Accounts for tests that need one besides the first (which registers through the page): made with
// the CLI against the server's own database (playwright.config.ts shares its data dir), so the
// instance's sign-up policy does not matter.
import { spawnSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { expect } from './fixtures';

export function createUser(email: string, password: string, role: 'user' | 'admin' = 'user') {
  const made = spawnSync(process.env.WEBPLUS_BIN!, ['admin', 'create-user', '--email', email, '--role', role], {
    input: `${password}\n`,
    env: { ...process.env, WEBPLUS_DATA_DIR: process.env.WEBPLUS_E2E_DATA_DIR!, WEBPLUS_LOG_FORMAT: 'json' },
    encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
}

/** Logs in through the login page and waits for the chat page to be usable. */
export async function logIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await expect(page.getByTestId('submit')).toBeEnabled();
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('composer')).toBeEnabled();
}
