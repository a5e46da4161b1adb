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
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
const BINELEK = process.env.BINELEK_BIN ?? join(WEB_DIR, '..', '.venv', 'bin', 'binelek');
const ARTIFACTS = join(WEB_DIR, 'e2e', 'artifacts');

let backend: ChildProcess | null = null;
let dataDir = '';
let baseURL = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (backend?.exitCode !== null && backend?.exitCode !== undefined) {
      throw new Error(`backend exited early with code ${backend.exitCode}; see e2e/artifacts/backend.log`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`backend not ready after ${timeoutMs} ms (${last})`);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!existsSync(BINELEK)) throw new Error(`backend CLI not found at ${BINELEK} — install the Python package first`);
  if (!existsSync(join(WEB_DIR, 'dist', 'index.html'))) throw new Error('web/dist is missing — run `npm run build` first (npm run e2e does)');
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'binelek-e2e-'));
  const port = await freePort();
  baseURL = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(ARTIFACTS, 'backend.log'));
  backend = spawn(BINELEK, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dataDir,
    env: {
      ...process.env,
      BINELEK_DATA_DIR: dataDir,
      BINELEK_ENV: 'test',
      PUBLIC_URL: baseURL,
      WEB_DIST_DIR: join(WEB_DIR, 'dist'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  backend.stdout?.pipe(log);
  backend.stderr?.pipe(log);
  await waitForReady(baseURL, 90_000);
});

test.afterAll(async () => {
  if (backend && backend.exitCode === null) {
    backend.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        backend?.kill('SIGKILL');
        resolve();
      }, 10_000);
      backend?.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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

function mainNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function register(page: Page, p: { name: string; email: string; password: string; company: string }): Promise<void> {
  await page.goto(`${baseURL}/register`);
  await expect(page.getByRole('heading', { name: 'Create your company workspace' })).toBeVisible();
  await page.getByLabel('Full name').fill(p.name);
  await page.getByLabel('Work email').fill(p.email);
  await page.getByLabel('Password').fill(p.password);
  await page.getByLabel('Company name').fill(p.company);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Welcome, ${p.name.split(' ')[0]}` })).toBeVisible();
  await expect(page.getByTestId('current-tenant')).toHaveText(p.company);
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
    await expect(a.getByText('Nothing here yet')).toBeVisible();
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
