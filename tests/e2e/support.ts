import { expect, type Page } from '@playwright/test';
import type { LabAvailability, LabInfo } from '../support/lab';

export const url = () => process.env.VIRTDECK_E2E_URL ?? '';
export const tokenUrl = () => process.env.VIRTDECK_E2E_TOKEN_URL ?? '';
export const skipReason = () => process.env.VIRTDECK_E2E_SKIP;

/** The lab as global setup found it, or why there is none. */
export function lab(): LabAvailability {
  const raw = process.env.VIRTDECK_E2E_LAB;
  return raw ? (JSON.parse(raw) as LabAvailability) : { available: false, reason: 'global setup did not run' };
}

export function labInfo(): LabInfo {
  const found = lab();
  if (!found.available) throw new Error(found.reason);
  return found.lab;
}

/** Opens the app with the token and fails on any script error or CSP violation. */
export async function openApp(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(tokenUrl());
  await expect(page.getByTestId('connection-state')).toHaveText('Connected');
  return errors;
}
