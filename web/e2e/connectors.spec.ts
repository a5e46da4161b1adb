/**
 * End-to-end: file import on the Connectors page against the real backend.
 *
 * register a fresh company → Connectors → choose "customers" and a small CSV whose headers need
 * mapping ("E-mail", "Full Name") → map them, check the preview → Import → the report completes
 * with 2 rows imported and 1 bad row (row 4, column email) → the import is listed as Completed.
 */
import { expect, test } from '@playwright/test';
import { mainNav, register, shot, startBackend, type Backend } from './support';

let backend: Backend | null = null;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  backend = await startBackend('backend-connectors.log');
});

test.afterAll(async () => {
  await backend?.stop();
});

const CUSTOMERS_CSV = [
  'E-mail,Full Name,country,city',
  'ana@example.com,"Lima, Ana",PT,Lisbon',
  'ben@example.com,Ben Ode,US,Austin',
  'not-an-email,Broken Row,US,Nowhere',
  '',
].join('\n');

test('an admin imports a customers CSV with a mapping and sees the bad row reported', async ({ browser }) => {
  const baseURL = backend!.baseURL;
  const run = Date.now().toString(36);
  const owner = { name: 'Ivy Importer', email: `ivy-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Import Co' };
  const ctx = await browser.newContext({ baseURL, timezoneId: 'Europe/London' });
  const page = await ctx.newPage();

  await test.step('sign up a fresh company', async () => {
    await register(page, baseURL, owner);
  });

  await test.step('choose the entity and the file, map the columns and check the preview', async () => {
    await mainNav(page).getByRole('link', { name: 'Connectors' }).click();
    await expect(page.getByRole('heading', { name: 'Connectors', level: 1 })).toBeVisible();
    await expect(page.getByRole('list', { name: 'Commerce apps' }).getByRole('listitem')).toHaveCount(2);
    await expect(page.getByRole('list', { name: 'CRM apps' }).getByRole('listitem')).toHaveCount(2);
    const form = page.getByRole('form', { name: 'Import a file' });
    await form.getByLabel('What the file holds').selectOption('customers');
    await form.getByLabel('File', { exact: true }).setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(CUSTOMERS_CSV) });
    const mapping = form.getByRole('table', { name: 'Column mapping' });
    await expect(mapping).toBeVisible();
    await expect(form.getByText('Required fields without a column: email, name.')).toBeVisible();
    await mapping.getByLabel('Field for E-mail').selectOption('email');
    await mapping.getByLabel('Field for Full Name').selectOption('name');
    const preview = form.getByRole('table', { name: 'Preview of the import' });
    await expect(preview.getByRole('row')).toHaveCount(4); // header + 3 data rows
    await expect(preview).toContainText('Lima, Ana');
    await shot(page, '40-connectors-mapping');
  });

  await test.step('import: the report completes with the bad row', async () => {
    await page.getByRole('form', { name: 'Import a file' }).getByRole('button', { name: 'Import' }).click();
    const report = page.getByRole('region', { name: 'Import report' });
    await expect(report).toBeVisible();
    await expect(report.getByText('Completed', { exact: true })).toBeVisible({ timeout: 30_000 });
    const totals = report.getByLabel('Import totals');
    await expect(totals).toContainText('Rows3');
    await expect(totals).toContainText('Imported2');
    await expect(totals).toContainText('Failed1');
    const errors = report.getByRole('table', { name: 'Rows not imported' });
    await expect(errors.getByRole('row')).toHaveCount(2);
    await expect(errors.getByRole('row').nth(1)).toContainText('4');
    await expect(errors.getByRole('row').nth(1)).toContainText('email');
    const recent = page.getByRole('table', { name: 'Recent imports' });
    await expect(recent.getByRole('row', { name: /customers\.csv/ })).toContainText('Completed');
    await shot(page, '41-connectors-report');
  });

  await ctx.close();
});
