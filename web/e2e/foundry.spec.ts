/**
 * End-to-end: Mini Foundry's dashboards against the real backend with the seeded demo business.
 *
 * seed the demo tenant (small scale) → sign in as its owner → /foundry opens on Sales Overview with
 * a real revenue number → drill into it → edit: drag the Revenue card three columns right by its
 * handle → save → the view and a reload show the card where it was dropped → download the PDF and a
 * widget's CSV.
 */
import { expect, test, type Page } from '@playwright/test';
import { mainNav, shot, startBackend, type Backend } from './support';

const OWNER = { email: 'owner@northwind-coffee.example', password: 'northwind-roastery-demo' };
// A few hundred orders: enough for every widget, quick to generate.
const DEMO_SCALE = '0.05';
const GRID_GAP = 12;
const COLUMNS = 12;

let backend: Backend | null = null;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  backend = await startBackend('backend-foundry.log', { demoScale: DEMO_SCALE });
});

test.afterAll(async () => {
  await backend?.stop();
});

/** The grid cell of the view's widget titled `title`: "x,y,w,h" as saved. */
function viewLayout(page: Page, title: string) {
  return page.getByTestId('dashboard-grid').locator('[data-layout]').filter({ has: page.getByRole('region', { name: title, exact: true }) });
}

test('the demo owner opens Sales Overview, drags a widget in the builder, saves, and the layout persists', async ({ browser }) => {
  const baseURL = backend!.baseURL;
  const ctx = await browser.newContext({ baseURL, timezoneId: 'America/Los_Angeles', locale: 'en-US' });
  const page = await ctx.newPage();

  await test.step('sign in as the demo owner and open Mini Foundry', async () => {
    await page.goto('/login');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('current-tenant')).toHaveText('Northwind Coffee Roasters');
    await mainNav(page).getByRole('link', { name: 'Mini Foundry' }).click();
    await expect(page).toHaveURL(/\/foundry$/);
  });

  await test.step('Sales Overview shows a real revenue number', async () => {
    await expect(page.getByRole('heading', { name: 'Sales Overview', level: 1 })).toBeVisible({ timeout: 30_000 });
    const revenue = page.getByRole('region', { name: 'Revenue', exact: true });
    const value = revenue.getByTestId('kpi-value');
    await expect(value).toHaveText(/^\$[\d,]+\.\d{2}$/, { timeout: 30_000 });
    const amount = Number((await value.textContent())!.replace(/[$,]/g, ''));
    expect(amount).toBeGreaterThan(0);
    await expect(revenue.getByLabel(/vs previous period/)).toBeVisible();
    await expect(page.getByRole('figure', { name: 'Revenue by day' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Top products' }).getByRole('row')).not.toHaveCount(1);
    await expect(viewLayout(page, 'Revenue')).toHaveAttribute('data-layout', '0,0,3,3');
    await shot(page, '50-foundry-sales-overview');
  });

  await test.step('the revenue card drills down to the orders behind it', async () => {
    await page.getByRole('button', { name: /^Revenue: \$/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revenue' });
    await expect(dialog.getByText(/^\d[\d,]* orders$/)).toBeVisible();
    await expect(dialog.getByRole('table').getByRole('row').nth(1)).toBeVisible();
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
  });

  let dropped = '';
  await test.step('edit: drag the Revenue card three columns right by its handle', async () => {
    await page.getByRole('link', { name: 'Edit dashboard' }).click();
    await expect(page.getByRole('heading', { name: 'Edit Sales Overview', level: 1 })).toBeVisible();
    const grid = page.getByTestId('builder-grid');
    const tile = grid.locator('[data-widget-key]').filter({ has: page.getByRole('region', { name: 'Revenue', exact: true }) });
    await expect(tile).toHaveAttribute('data-layout', '0,0,3,3');
    const handle = grid.getByRole('button', { name: 'Move Revenue', exact: true });
    await expect(handle).toBeVisible();

    const gridBox = (await grid.boundingBox())!;
    // The grid's container padding equals the gap; 12 columns share the rest.
    const column = (gridBox.width - 2 * GRID_GAP - (COLUMNS - 1) * GRID_GAP) / COLUMNS;
    const box = (await handle.boundingBox())!;
    const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const dx = 3 * (column + GRID_GAP);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 10, from.y + 2, { steps: 3 });
    await page.mouse.move(from.x + dx, from.y + 2, { steps: 20 });
    await page.mouse.up();

    await expect(tile).toHaveAttribute('data-layout', /^3,0,3,3$/);
    dropped = (await tile.getAttribute('data-layout'))!;
    await shot(page, '51-foundry-builder-dragged');
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    await expect(page).toHaveURL(/\/foundry\/dashboards\/[0-9a-f-]+$/);
  });

  await test.step('the saved layout shows in the view and survives a reload', async () => {
    await expect(page.getByRole('heading', { name: 'Sales Overview', level: 1 })).toBeVisible();
    await expect(viewLayout(page, 'Revenue')).toHaveAttribute('data-layout', dropped);
    await page.reload();
    const cell = viewLayout(page, 'Revenue');
    await expect(cell).toHaveAttribute('data-layout', dropped);
    // On a wide screen the card sits on the grid's fourth column line.
    await expect.poll(() => cell.evaluate((el) => getComputedStyle(el).gridColumnStart)).toBe('4');
    await expect(page.getByRole('region', { name: 'Revenue', exact: true }).getByTestId('kpi-value')).toHaveText(/^\$[\d,]+\.\d{2}$/);
    await shot(page, '52-foundry-after-reload');
  });

  await test.step('the dashboard downloads as a PDF and a widget as CSV', async () => {
    const pdf = page.waitForEvent('download', { timeout: 60_000 });
    await page.getByRole('button', { name: 'Download PDF' }).click();
    expect((await pdf).suggestedFilename()).toMatch(/\.pdf$/);
    const products = page.getByRole('region', { name: 'Top products', exact: true });
    await products.getByLabel('Download Top products').click();
    const csv = page.waitForEvent('download');
    await products.getByRole('button', { name: 'Download CSV' }).click();
    const file = await csv;
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    const text = await (await file.createReadStream()).toArray();
    expect(Buffer.concat(text).toString('utf8')).toContain('Product');
  });

  await ctx.close();
});
