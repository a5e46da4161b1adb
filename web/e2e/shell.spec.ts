/**
 * End-to-end: the real backend (`binelek serve`, embedded mode, fresh data dir)
 * serving the built web app (web/dist), driven with the system Chromium.
 *
 * register → shell → logout → login → invite teammate → (second person, fresh
 * context) register own company → accept invitation as existing user →
 * tenant switcher lists both companies and switching changes the current
 * tenant → logout.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mainNav, register as registerAt, shot, startBackend, type Backend, type Person } from './support';

let backend: Backend | null = null;
let baseURL = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  backend = await startBackend();
  baseURL = backend.baseURL;
});

test.afterAll(async () => {
  await backend?.stop();
});

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for the MFA step. */
function totp(secretBase32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1]! & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

function register(page: Page, p: Person): Promise<void> {
  return registerAt(page, baseURL, p);
}

async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Binelek' })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
}

test('register, log in, invite, accept as existing user, switch tenants', async ({ browser }) => {
  const run = Date.now().toString(36);
  const owner = { name: 'Ada Owner', email: `ada-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Alpha Widgets' };
  const mate = { name: 'Bo Teammate', email: `bo-${run}@example.com`, password: 'Quartz-Meadow-Falcon-77', company: 'Beta Bakery' };

  const ctxA = await browser.newContext({ baseURL });
  const a = await ctxA.newPage();

  await test.step('register a company and land in the shell', async () => {
    await register(a, owner);
    await expect(a.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expect(mainNav(a).getByRole('link', { name: 'Ops Copilot' })).toBeVisible();
    await shot(a, '01-registered-shell');
  });

  await test.step('the session survives a reload (HttpOnly refresh cookie)', async () => {
    await a.reload();
    await expect(a.getByTestId('current-tenant')).toHaveText(owner.company);
    const stored = await a.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain('eyJ'); // no JWT persisted in web storage / readable cookies
  });

  await test.step('module page shows an honest empty state', async () => {
    await mainNav(a).getByRole('link', { name: 'Cybersecurity Scanner' }).click();
    await expect(a.getByRole('heading', { name: 'Cybersecurity Scanner', level: 1 })).toBeVisible();
    await expect(a.getByText('No assets yet — add your domain to start')).toBeVisible();
  });

  await test.step('log out and log back in', async () => {
    await logout(a);
    await a.getByLabel('Email').fill(owner.email);
    await a.getByLabel('Password').fill(owner.password);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await expect(a.getByTestId('current-tenant')).toHaveText(owner.company);
  });

  let acceptUrl = '';
  await test.step('invite a teammate and read the accept URL', async () => {
    await mainNav(a).getByRole('link', { name: 'Settings' }).click();
    await a.getByRole('link', { name: 'Team & roles' }).click();
    await expect(a.getByRole('table', { name: 'Team members' })).toContainText(owner.email);
    await a.getByRole('button', { name: 'Invite teammate' }).click();
    const dialog = a.getByRole('dialog', { name: 'Invite a teammate' });
    await dialog.getByLabel('Email address').fill(mate.email);
    await dialog.getByLabel('Role').selectOption('member');
    await dialog.getByRole('button', { name: 'Create invitation' }).click();
    const link = a.getByRole('dialog', { name: 'Invitation created' }).getByLabel('Invitation link');
    await expect(link).toHaveValue(/accept-invitation\?token=/);
    acceptUrl = await link.inputValue();
    await shot(a, '02-invitation-created');
    await a.getByRole('button', { name: 'Done' }).click();
    await expect(a.getByRole('table', { name: 'Pending invitations' })).toContainText(mate.email);
  });
  expect(acceptUrl.startsWith(baseURL), `accept_url ${acceptUrl} should point at ${baseURL}`).toBe(true);

  const ctxB = await browser.newContext({ baseURL });
  const b = await ctxB.newPage();

  await test.step('a second person registers their own company', async () => {
    await register(b, mate);
  });

  await test.step('they accept the invitation as an existing user', async () => {
    await b.goto(acceptUrl);
    await expect(b.getByRole('heading', { name: `Join ${owner.company}` })).toBeVisible();
    await expect(b.getByLabel('Email')).toHaveValue(mate.email);
    await expect(b.getByLabel('Full name')).toHaveCount(0);
    await shot(b, '03-accept-invitation');
    await b.getByLabel('Your password').fill(mate.password);
    await b.getByRole('button', { name: 'Accept invitation' }).click();
    await expect(b.getByRole('heading', { name: /^Welcome, Bo/ })).toBeVisible();
  });

  await test.step('the tenant switcher lists both companies and switches the current tenant', async () => {
    const switcher = b.getByLabel('Company');
    // Order is the server's; membership is what matters.
    await expect(switcher.locator('option')).toHaveCount(2);
    expect((await switcher.locator('option').allInnerTexts()).sort()).toEqual([owner.company, mate.company].sort());
    await switcher.selectOption({ label: mate.company });
    await expect(b.getByTestId('current-tenant')).toHaveText(mate.company);
    await expect(b.getByText(`You're working in ${mate.company}`)).toBeVisible();
    await shot(b, '04-switched-to-own-company');
    await switcher.selectOption({ label: owner.company });
    await expect(b.getByTestId('current-tenant')).toHaveText(owner.company);
    await expect(b.getByText(`You're working in ${owner.company}`)).toBeVisible();
    await expect(b.getByRole('banner').getByText('Member', { exact: true })).toBeVisible();
    await shot(b, '05-switched-to-invited-company');
  });

  await test.step('the owner sees the new member', async () => {
    await a.reload();
    await expect(a.getByRole('table', { name: 'Team members' })).toContainText(mate.email);
    await shot(a, '06-team-with-new-member');
  });

  await test.step('the owner creates an API key (shown once) and reads the audit log', async () => {
    await a.getByRole('link', { name: 'API keys' }).click();
    await a.getByLabel('Key name').fill('Nightly export');
    await a.getByLabel('Key role').selectOption('viewer');
    await a.getByRole('button', { name: 'Create key' }).click();
    await expect(a.getByText("it won't be shown again")).toBeVisible();
    expect((await a.getByLabel('New API key').inputValue()).length).toBeGreaterThan(20);
    await expect(a.getByRole('table', { name: 'API keys' })).toContainText('Nightly export');
    await shot(a, '07-api-key-created');

    await a.getByRole('link', { name: 'Audit log' }).click();
    const log = a.getByRole('table', { name: 'Audit log entries' });
    await expect(log.getByRole('row').nth(1)).toBeVisible();
    await expect(log).toContainText(owner.email);
    await shot(a, '08-audit-log');

    await a.getByRole('link', { name: 'Organization' }).click();
    await expect(a.getByLabel('Company name')).toHaveValue(owner.company);
    await a.getByRole('checkbox', { name: 'Marketplace Intel' }).uncheck();
    await a.getByRole('button', { name: 'Save changes' }).click();
    await expect(a.getByText('Organization settings saved.')).toBeVisible();
    await expect(mainNav(a).getByRole('link', { name: 'Marketplace Intel' })).toHaveCount(0);
    await a.getByRole('checkbox', { name: 'Marketplace Intel' }).check();
    await a.getByRole('button', { name: 'Save changes' }).click();
    await expect(mainNav(a).getByRole('link', { name: 'Marketplace Intel' })).toBeVisible();
    await shot(a, '09-organization');
  });

  await test.step('the owner sets the AI defaults (offline engine needs no key)', async () => {
    await a.getByRole('link', { name: 'AI' }).click();
    await expect(a.getByRole('cell', { name: 'Built-in offline engine', exact: true })).toBeVisible();
    await expect(a.getByText('No keys yet')).toBeVisible();
    const defaults = a.getByRole('form', { name: 'AI defaults' });
    await defaults.getByLabel('Temperature').fill('0.5');
    await defaults.getByRole('button', { name: 'Save changes' }).click();
    await expect(a.getByText('AI settings saved.')).toBeVisible();
    await a.reload();
    await expect(a.getByRole('form', { name: 'AI defaults' }).getByLabel('Temperature')).toHaveValue('0.5');
    await shot(a, '09b-ai-settings');
  });

  await test.step('the owner turns on MFA, then signs in with a backup code', async () => {
    await a.getByRole('link', { name: 'Account security' }).click();
    await a.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = await a.getByLabel('Secret key').inputValue();
    await expect(a.getByLabel('Setup URI (otpauth)')).toHaveValue(/^otpauth:\/\/totp\//);
    await expect(a.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    await a.getByLabel('Verification code').fill(totp(secret));
    await a.getByRole('button', { name: 'Verify and turn on' }).click();
    const codes = a.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    const backup = (await codes.first().innerText()).trim();
    await shot(a, '10-mfa-backup-codes');
    await a.getByRole('button', { name: "I've saved my codes" }).click();
    await expect(a.getByText('Enabled')).toBeVisible();

    await logout(a);
    await a.getByLabel('Email').fill(owner.email);
    await a.getByLabel('Password').fill(owner.password);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await expect(a.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
    await a.getByLabel('Authentication code').fill(backup);
    await shot(a, '11-login-mfa-step');
    await a.getByRole('button', { name: 'Verify and sign in' }).click();
    await expect(a.getByTestId('current-tenant')).toHaveText(owner.company);
  });

  await test.step('small screens get a navigation drawer', async () => {
    await a.setViewportSize({ width: 390, height: 844 });
    await expect(mainNav(a)).toBeHidden();
    await a.getByRole('button', { name: 'Open navigation' }).click();
    await expect(mainNav(a)).toBeVisible();
    await shot(a, '12-mobile-drawer');
    await mainNav(a).getByRole('link', { name: 'Marketplace Intel' }).click();
    await expect(a.getByRole('heading', { name: 'Marketplace Intel', level: 1 })).toBeVisible();
    await expect(mainNav(a)).toBeHidden();
    await shot(a, '13-mobile-module');
  });

  await test.step('log out', async () => {
    await logout(b);
    await b.goto(`${baseURL}/`);
    await expect(b.getByRole('heading', { name: 'Sign in to Binelek' })).toBeVisible();
  });

  await ctxA.close();
  await ctxB.close();
});
