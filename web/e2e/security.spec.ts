/**
 * End-to-end: the Cybersecurity Scanner against the real backend and a real (local) website.
 *
 * register a fresh company → add the local site (node http server on 127.0.0.1, two security headers)
 * as a URL asset, attesting ownership → quick-check it → scan it (web checks only) from the Scans tab and
 * watch the progress bar turn into the report with the header grade → the issues list has what the scan
 * found; open one and accept the risk with a reason → SOC 2: attest a control → run a full scan from the
 * overview → screenshot of the overview (score, parts, trend).
 */
import { expect, test, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mainNav, register, shot, startBackend, type Backend } from './support';

let backend: Backend | null = null;
let site: Server | null = null;
let siteUrl = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // The site under test: a plain page with X-Frame-Options and X-Content-Type-Options only, so the
  // header grade is low and the scan has issues to show.
  site = createServer((_request, response) => {
    response.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end('<!doctype html><html><head><title>Corner Bakery</title></head><body><h1>Fresh bread daily</h1></body></html>');
  });
  await new Promise<void>((resolve) => site!.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  backend = await startBackend('backend-security.log');
});

test.afterAll(async () => {
  await backend?.stop();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

function securityTab(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Cybersecurity Scanner' }).getByRole('link', { name, exact: true });
}

/** On a scan's page: the progress bar (or, when the scan was quicker than the first look, the summary) then the summary. */
async function waitForReport(page: Page) {
  await expect(page).toHaveURL(/\/security\/scans\/[0-9a-f-]{36}$/);
  const progress = page.getByRole('progressbar', { name: 'Scan progress' });
  const summary = page.getByRole('heading', { name: 'Summary', level: 2 });
  await expect(progress.or(summary)).toBeVisible();
  await expect(summary).toBeVisible({ timeout: 30_000 });
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId('scan-status')).toHaveText('Finished');
}

test('scan a website, accept a risk, attest a control', async ({ browser }) => {
  test.setTimeout(90_000);
  const baseURL = backend!.baseURL;
  const run = Date.now().toString(36);
  const owner = { name: 'Sam Secure', email: `sam-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Corner Bakery' };
  const ctx = await browser.newContext({ baseURL, locale: 'en-US' });
  const page = await ctx.newPage();

  await test.step('sign up; the overview asks for a first asset', async () => {
    await register(page, baseURL, owner);
    await mainNav(page).getByRole('link', { name: 'Cybersecurity Scanner' }).click();
    await expect(page.getByRole('heading', { name: 'Cybersecurity Scanner', level: 1 })).toBeVisible();
    await expect(page.getByText('No assets yet — add your domain to start')).toBeVisible();
    await expect(page.getByRole('meter', { name: 'Security posture score' })).toBeVisible();
  });

  await test.step('add the site as a URL asset, attesting ownership', async () => {
    await securityTab(page, 'Assets').click();
    const form = page.getByRole('form', { name: 'Add an asset' });
    await form.getByLabel('Kind').selectOption('url');
    await form.getByLabel('Value').fill(siteUrl);
    await form.getByLabel('Label (optional)').fill('Bakery website');
    await form.getByRole('button', { name: 'Add asset' }).click();
    await expect(form.getByText('Confirm that you own this asset or are allowed to test it.')).toBeVisible();
    await form.getByLabel('I confirm we own this asset or are allowed to test it').check();
    await form.getByRole('button', { name: 'Add asset' }).click();
    await expect(form.getByRole('status')).toHaveText(`Added ${siteUrl}. Run a scan to grade it.`);
    const row = page.getByRole('table', { name: 'Assets' }).getByRole('row', { name: new RegExp(siteUrl.replace(/[.:/]/g, '\\$&')) });
    await expect(row).toContainText('Bakery website');
    await expect(row).toContainText('Not graded yet');
  });

  await test.step('quick-check the site', async () => {
    const quick = page.getByRole('form', { name: 'Quick check a URL' });
    await quick.getByLabel('URL to check').fill(siteUrl);
    await quick.getByRole('button', { name: 'Check' }).click();
    const results = page.getByRole('region', { name: `Results for ${siteUrl}` });
    await expect(results.getByTestId('web-grade')).toHaveText(/^Headers [A-F][+-]?$/, { timeout: 30_000 });
    const tests = results.getByRole('table', { name: `Header tests for ${siteUrl}` });
    await expect(tests.getByRole('row', { name: /X-Frame-Options/ })).toContainText('Pass');
    await expect(tests.getByRole('row', { name: /Content Security Policy/ })).toContainText('Fail');
    await shot(page, 'security-assets');
  });

  await test.step('scan the web checks and follow the progress to the report', async () => {
    await securityTab(page, 'Scans').click();
    const choose = page.getByRole('region', { name: 'Scan only some checks' });
    await choose.getByLabel('TLS').uncheck();
    await expect(choose.getByLabel('Web headers')).toBeChecked();
    await choose.getByRole('button', { name: 'Start scan' }).click();
    await waitForReport(page);
    const report = page.getByRole('region', { name: `Web headers — ${siteUrl}` });
    await expect(report.getByTestId('web-grade')).toHaveText(/^Headers [A-F][+-]?$/);
    await expect(report.getByRole('row', { name: /Content Security Policy/ })).toContainText('Fail');
    await expect(page.getByRole('table', { name: 'Findings' }).getByRole('row').nth(1)).toContainText('Failed');
    await shot(page, 'security-scan-report');
  });

  await test.step('the scan’s issues are listed; accept one risk with a reason', async () => {
    await securityTab(page, 'Issues').click();
    const issues = page.getByRole('table', { name: 'Issues' });
    await expect(issues.getByRole('row').nth(1)).toBeVisible();
    const cspRow = issues.getByRole('row', { name: /No Content-Security-Policy header/ });
    await cspRow.getByRole('link').click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('No Content-Security-Policy header.');
    await expect(page.getByTestId('issue-status')).toHaveText('Open');
    await page.getByRole('button', { name: 'Accept the risk…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Accept this risk' });
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await expect(dialog.getByText('Say why the risk is acceptable.')).toBeVisible();
    await dialog.getByLabel('Reason').fill('Static brochure site with no scripts or forms; a CSP follows the redesign in Q3.');
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('issue-status')).toHaveText('Risk accepted');
    await expect(page.getByText('Static brochure site with no scripts or forms; a CSP follows the redesign in Q3.')).toBeVisible();
    await shot(page, 'security-issue');
  });

  await test.step('SOC 2: attest a control', async () => {
    await securityTab(page, 'Compliance').click();
    const soc2 = page.getByRole('listitem', { name: 'SOC 2' });
    await soc2.getByRole('link', { name: 'Open SOC 2' }).click();
    await expect(page.getByRole('heading', { name: 'SOC 2', level: 1 })).toBeVisible();
    const before = await page.getByTestId('percent-complete').textContent();
    // The first control that is not automated: a person's review decides it.
    const control = page.getByRole('listitem').filter({ hasNot: page.getByText('Automated', { exact: true }) }).filter({ has: page.locator('details') }).first();
    await control.locator('summary').click();
    const review = control.getByRole('form', { name: /^Review / });
    await review.getByLabel('Met', { exact: true }).check();
    await review.getByLabel('Note').fill('Reviewed with the owner; policy in the staff handbook, section 2.');
    await review.getByRole('button', { name: 'Save review' }).click();
    await expect(control.getByText('Review saved.')).toBeVisible();
    await expect(control.locator('summary')).toContainText('Met (attested)');
    await expect(page.getByTestId('percent-complete')).not.toHaveText(before ?? '');
    await shot(page, 'security-compliance', { fullPage: false });
  });

  await test.step('a full scan from the overview; the overview shows score, parts and trend', async () => {
    await securityTab(page, 'Overview').click();
    await page.getByRole('button', { name: 'Run a scan' }).click();
    await waitForReport(page);
    await securityTab(page, 'Overview').click();
    await expect(page.getByRole('figure', { name: 'Security posture score over time' })).toBeVisible();
    const data = page.getByRole('list', { name: 'Score parts' }).getByRole('listitem', { name: 'Data security' });
    await data.getByRole('button', { name: /^Show \d+ deductions?/ }).click();
    await expect(data.getByRole('list', { name: 'Data security deductions' }).getByRole('link').first()).toHaveAttribute('href', /\/security\/issues\/[0-9a-f-]{36}$/);
    await expect(data.getByRole('list', { name: 'Data security accepted risks' })).toContainText('No Content-Security-Policy header.');
    await shot(page, 'security-overview');
  });

  await ctx.close();
});
