import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Where the end-to-end browser tests expect Chromium; suites skip themselves when it is absent.
 *
 * @example
 * ```ts
 * describe.skipIf(!existsSync(CHROMIUM))('pages in a real browser', () => {});
 * ```
 */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches the headless Chromium at {@link CHROMIUM} with the flags every browser test uses, plus `extraArgs`
 * (for example host-resolver rules that keep the browser on 127.0.0.1).
 *
 * @example
 * ```ts
 * const browser = await launchChromium(['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']);
 * ```
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs] });
}

/**
 * Fills the sign-in form on `page` and clicks "Sign in"; the caller waits for whatever page should follow.
 *
 * @example
 * ```ts
 * await signIn(page, 'alice', 'wonderland rabbit');
 * ```
 */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
