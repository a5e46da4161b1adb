/**
 * End-to-end: Marketplace Intel against the real backend and a real (local) competitor page.
 *
 * A node HTTP server on 127.0.0.1 serves a product page with JSON-LD (name, offers.price "19.99" USD,
 * InStock) → register a fresh company → track a product with that page, previewing it first ($19.99)
 * → save → "Check now" on the product page → the listing's health and the price history show 19.99 →
 * screenshot of the product page → the products list shows the market figures and the position →
 * Discovery: the business profile is saved (searching needs a provider key, so it stops there). The backend allows private targets (BINELEK_ALLOW_PRIVATE_TARGETS),
 * since the competitor page is on loopback.
 */
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mainNav, register, shot, startBackend, type Backend } from './support';

let backend: Backend | null = null;
let shop: Server | null = null;
let pageUrl = '';
const requests: string[] = [];

const PRODUCT_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>House Blend Coffee, 1 kg — Bean There</title>
  <script type="application/ld+json">
  {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "House Blend Coffee, 1 kg",
    "sku": "HB-1000",
    "offers": {
      "@type": "Offer",
      "price": "19.99",
      "priceCurrency": "USD",
      "availability": "https://schema.org/InStock"
    }
  }
  </script>
</head>
<body>
  <h1>House Blend Coffee, 1 kg</h1>
  <p class="price">$19.99</p>
</body>
</html>`;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  shop = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/robots.txt') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('User-agent: *\nAllow: /\n');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(PRODUCT_PAGE);
  });
  await new Promise<void>((resolve) => shop!.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/products/house-blend`;
  backend = await startBackend('backend-marketplace.log', { env: { BINELEK_ALLOW_PRIVATE_TARGETS: 'true' } });
});

test.afterAll(async () => {
  await backend?.stop();
  await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
});

test('track a competitor page, check it now and see its price', async ({ browser }) => {
  test.setTimeout(60_000);
  const baseURL = backend!.baseURL;
  const run = Date.now().toString(36);
  const owner = { name: 'Mia Market', email: `mia-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Corner Roasters' };
  const ctx = await browser.newContext({ baseURL, locale: 'en-US' });
  const page = await ctx.newPage();

  await test.step('sign up; Marketplace Intel opens on the track form', async () => {
    await register(page, baseURL, owner);
    await mainNav(page).getByRole('link', { name: 'Marketplace Intel' }).click();
    await expect(page.getByRole('heading', { name: 'Marketplace Intel', level: 1 })).toBeVisible();
    await expect(page.getByText('No products tracked yet')).toBeVisible();
  });

  await test.step('preview the competitor page: $19.99, in stock, from JSON-LD', async () => {
    const form = page.getByRole('form', { name: 'Track a product' });
    await form.getByLabel('Product name').fill('House Blend 1 kg');
    await form.getByLabel('My price').fill('21.50');
    const listing = form.getByRole('group', { name: 'Listing 1' });
    await listing.getByLabel('Page URL').fill(pageUrl);
    await listing.getByRole('button', { name: 'Preview listing 1' }).click();
    const preview = listing.getByRole('region', { name: `Preview of ${pageUrl}` });
    await expect(preview.getByTestId('preview-price')).toHaveText('$19.99', { timeout: 20_000 });
    await expect(preview).toContainText('House Blend Coffee, 1 kg');
    await expect(preview).toContainText('In stock');
    await shot(page, 'marketplace-preview');
    await form.getByRole('button', { name: 'Start tracking' }).click();
  });

  await test.step('check now: the listing reads 19.99 and the history has it', async () => {
    await expect(page).toHaveURL(/\/marketplace\/products\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: 'House Blend 1 kg', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Check now' }).click();
    const health = page.getByRole('table', { name: 'Listing health' });
    await expect(health.getByTestId('listing-price')).toHaveText('$19.99', { timeout: 30_000 });
    await expect(health).toContainText('OK');
    const history = page.getByRole('figure', { name: 'Price history of House Blend 1 kg' });
    await expect(history.locator('table')).toContainText('$19.99', { timeout: 15_000 });
    await expect(page.getByRole('table', { name: 'Recent checks' })).toContainText('Price read');
    await expect(page.getByRole('table', { name: 'Competitor comparison' })).toContainText('+7.6%');
    expect(requests.some((path) => path.startsWith('/products/house-blend'))).toBe(true);
    await shot(page, 'marketplace-product');
  });

  await test.step('the products list has the market figures and the position', async () => {
    await page.getByRole('navigation', { name: 'Marketplace Intel' }).getByRole('link', { name: 'Products', exact: true }).click();
    const row = page.getByRole('table', { name: 'Tracked products' }).getByRole('row', { name: /House Blend 1 kg/ });
    await expect(row).toContainText('$21.50');
    await expect(row).toContainText('$19.99');
    await expect(row).toContainText('+7.6%');
    await expect(row).toContainText('Most expensive');
    await expect(row).toContainText('1 OK');
  });

  await test.step('discovery: save the business profile; searching waits for a provider key', async () => {
    await page.getByRole('navigation', { name: 'Marketplace Intel' }).getByRole('link', { name: 'Discovery' }).click();
    const profile = page.getByRole('form', { name: 'Business profile' });
    await profile.getByLabel('What you sell').fill('Specialty coffee roaster: single-origin beans and espresso.');
    await profile.getByLabel('Categories').fill('coffee roaster, café');
    await profile.getByLabel('Latitude').fill('45.5231');
    await profile.getByLabel('Longitude').fill('-122.6765');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await expect(profile.getByRole('status')).toHaveText('Profile saved.');
    await expect(page.getByRole('listitem', { name: 'Google Places' })).toContainText('No key saved');
    await expect(page.getByText('Save a Google Places or Yelp key first.')).toBeVisible();
    await shot(page, 'marketplace-discovery');
  });

  await ctx.close();
});
