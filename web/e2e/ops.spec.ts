/**
 * End-to-end: an Ops Copilot automation against the real backend and a real (local) SMTP server.
 *
 * register a fresh company → build, in the visual builder, "when an order over $500 is created →
 * create a high-priority task 'Thank {{ customer }}' and e-mail the owner ({{ owner.email }})" →
 * save, dry-run it in test mode, activate → import customers, then orders (one over $500, one under)
 * through the Connectors file import → the runs page shows one run, succeeded, step by step → the
 * task list shows "Thank Ana Lima" → the e-mail arrived at the SMTP server.
 */
import { expect, test, type Page } from '@playwright/test';
import { mainNav, register, shot, startBackend, startSmtpServer, type Backend, type SmtpServer } from './support';

let smtp: SmtpServer | null = null;
let backend: Backend | null = null;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  smtp = await startSmtpServer('smtp-ops.log');
  // Settings read SMTP_HOST / SMTP_PORT (no prefix; see binelek.kit.settings).
  backend = await startBackend('backend-ops.log', { env: { SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) } });
});

test.afterAll(async () => {
  await backend?.stop();
  await smtp?.stop();
});

const CUSTOMERS_CSV = ['email,name,country,city', 'ana@example.com,Ana Lima,PT,Lisbon', 'bo@example.com,Bo Small,US,Austin', ''].join('\n');
const ORDERS_CSV = [
  'order_number,placed_at,status,currency,total,customer_email',
  '#1001,2026-03-02T10:15:00Z,paid,USD,612.50,ana@example.com',
  '#1002,2026-03-02T11:00:00Z,paid,USD,80.00,bo@example.com',
  '',
].join('\n');

function opsTab(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Ops Copilot' }).getByRole('link', { name, exact: true });
}

async function importFile(page: Page, entity: string, name: string, csv: string) {
  const form = page.getByRole('form', { name: 'Import a file' });
  await form.getByLabel('What the file holds').selectOption(entity);
  await form.getByLabel('File', { exact: true }).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(form.getByRole('table', { name: 'Preview of the import' })).toBeVisible();
  await form.getByRole('button', { name: 'Import' }).click();
  const recent = page.getByRole('table', { name: 'Recent imports' });
  await expect(recent.getByRole('row', { name: new RegExp(name.replace('.', '\\.')) })).toContainText('Completed', { timeout: 30_000 });
}

test('an order over $500 runs the automation: a task to thank the customer and an e-mail to the owner', async ({ browser }) => {
  test.setTimeout(90_000);
  const baseURL = backend!.baseURL;
  const run = Date.now().toString(36);
  const owner = { name: 'Olga Owner', email: `olga-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Roastery Ops' };
  const ctx = await browser.newContext({ baseURL, timezoneId: 'Europe/Lisbon', locale: 'en-US' });
  const page = await ctx.newPage();

  await test.step('sign up a fresh company', async () => {
    await register(page, baseURL, owner);
  });

  await test.step('build the automation in the visual builder', async () => {
    await mainNav(page).getByRole('link', { name: 'Ops Copilot' }).click();
    await opsTab(page, 'Automations').click();
    await expect(page.getByRole('heading', { name: 'Automations', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'New automation' }).first().click();
    await expect(page.getByRole('heading', { name: 'New automation', level: 1 })).toBeVisible();

    await page.getByLabel('Automation name').fill('Thank big customers');
    await page.getByLabel('Start this automation').selectOption('event');
    await expect(page.getByLabel('Event')).toHaveValue('order.created');
    await page.getByRole('button', { name: 'Add condition' }).click();
    await expect(page.getByLabel('Field 1')).toHaveValue('trigger.total');
    await expect(page.getByLabel('Comparison 1')).toHaveValue('gt');
    await page.getByLabel('Value 1').fill('500');
    await expect(page.getByTestId('trigger-summary')).toHaveText('When an order is created and total > 500');

    const settings = page.getByRole('complementary', { name: 'Step settings' });
    await page.getByRole('button', { name: 'Add a step at the start' }).click();
    await page.getByRole('group', { name: 'Choose a step type' }).getByRole('button', { name: 'Create a task' }).click();
    const title = settings.getByLabel('Title', { exact: true });
    await title.fill('Thank ');
    await settings.getByRole('button', { name: 'Insert customer', exact: true }).click();
    await expect(title).toHaveValue('Thank {{ customer }}');
    await settings.getByLabel('Priority (optional)').selectOption('high');

    await page.getByRole('button', { name: 'Add a step after create_task' }).click();
    await page.getByRole('group', { name: 'Choose a step type' }).getByRole('button', { name: 'Send an e-mail' }).click();
    const to = settings.getByLabel('To', { exact: true });
    await to.click();
    await settings.getByRole('button', { name: 'Insert owner.email', exact: true }).click();
    await expect(to).toHaveValue('{{ owner.email }}');
    await settings.getByLabel('Subject', { exact: true }).fill('Big order {{ trigger.order_number }} from {{ customer }}');
    await settings.getByLabel('Body', { exact: true }).fill('{{ customer }} ({{ customer.email }}) spent {{ trigger.total }} {{ trigger.currency }}. Task: {{ steps.create_task.title }}');
    await shot(page, '60-ops-builder');
  });

  await test.step('save, dry-run it in test mode, and activate', async () => {
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page).toHaveURL(/\/ops\/automations\/[0-9a-f-]{36}$/);
    await expect(page.getByText('Version 1')).toBeVisible();

    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByRole('button', { name: 'Run test' }).click();
    const results = page.getByRole('list', { name: 'Test results' });
    await expect(results.getByRole('listitem')).toHaveCount(2);
    await expect(results.getByRole('listitem').nth(0)).toContainText("Would create a high-priority task 'Thank Ada Lovelace'");
    await expect(results.getByRole('listitem').nth(1)).toContainText(`Would e-mail ${owner.email}: 'Big order #1001 from Ada Lovelace'`);
    await expect(page.getByText('The trigger’s conditions match this data')).toBeVisible();
    await shot(page, '61-ops-test-mode');

    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await expect(page.getByText('Active', { exact: true })).toBeVisible();
    await opsTab(page, 'Automations').click();
    const row = page.getByRole('table', { name: 'Automations' }).getByRole('row', { name: /Thank big customers/ });
    await expect(row).toContainText('When an order is created and total > 500');
    await expect(row.getByRole('switch', { name: 'Active: Thank big customers' })).toHaveAttribute('aria-checked', 'true');
  });

  await test.step('import the customers, then two orders (one over $500)', async () => {
    await mainNav(page).getByRole('link', { name: 'Connectors' }).click();
    await expect(page.getByRole('heading', { name: 'Connectors', level: 1 })).toBeVisible();
    await importFile(page, 'customers', 'customers.csv', CUSTOMERS_CSV);
    await importFile(page, 'orders', 'orders.csv', ORDERS_CSV);
  });

  await test.step('the runs page shows one run, succeeded, step by step', async () => {
    await mainNav(page).getByRole('link', { name: 'Ops Copilot' }).click();
    await opsTab(page, 'Runs').click();
    await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeVisible();
    const runs = page.getByRole('table', { name: 'Runs' });
    // The list refreshes by itself while a run is new or moving.
    await expect(runs.getByRole('row').nth(1)).toContainText('Succeeded', { timeout: 30_000 });
    await expect(runs.getByRole('row')).toHaveCount(2); // the $80 order started nothing
    await expect(runs.getByRole('row').nth(1)).toContainText('Thank big customers');
    await runs.getByRole('row').nth(1).getByRole('link').first().click();

    await expect(page.getByRole('heading', { name: 'Thank big customers', level: 1 })).toBeVisible();
    await expect(page.getByTestId('run-status')).toContainText('Succeeded');
    const timeline = page.getByRole('list', { name: 'Run timeline' });
    await expect(timeline.getByRole('listitem', { name: 'create_task: Succeeded' })).toBeVisible();
    await expect(timeline.getByRole('listitem', { name: 'send_email: Succeeded' })).toBeVisible();
    const output = timeline.getByRole('listitem', { name: 'create_task: Succeeded' }).locator('details').filter({ hasText: 'Output' });
    await output.getByText('Output').click();
    await expect(output.locator('pre')).toBeVisible();
    await expect(output.locator('pre')).toContainText('"title": "Thank Ana Lima"');
    await expect(output.locator('pre')).toContainText('"priority": "high"');
    await shot(page, '62-ops-run-timeline');
  });

  await test.step('the task list shows the new task', async () => {
    await opsTab(page, 'Tasks').click();
    await expect(page.getByRole('table', { name: 'Tasks' })).toContainText('Thank Ana Lima');
    await expect(page.getByRole('table', { name: 'Tasks' })).not.toContainText('Thank Bo Small');
    await shot(page, '63-ops-task-list');
  });

  await test.step('the e-mail reached the SMTP server', async () => {
    await expect.poll(() => smtp!.messages().length, { timeout: 15_000 }).toBe(1);
    const [mail] = smtp!.messages();
    expect(mail!.to).toEqual([owner.email]);
    expect(mail!.subject).toBe('Big order #1001 from Ana Lima');
    expect(mail!.body).toContain('Ana Lima (ana@example.com) spent 612.50 USD. Task: Thank Ana Lima');
  });

  await ctx.close();
});
