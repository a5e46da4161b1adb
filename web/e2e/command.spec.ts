/**
 * End-to-end: the command box against the real backend and its built-in offline engine.
 *
 * register a fresh company → Ctrl-K → "which team members don't have MFA?" (a team_members tool
 * card naming the owner) → write a document on the Documents page and wait until search finds it
 * → "find anything about invoices" cites it → "invite sam@example.com as a viewer" is held for
 * confirmation (nothing is invited yet) → Confirm → the invitation exists → Settings › AI charts
 * the tokens used.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { ARTIFACTS, mainNav, register, shot, startBackend, WEB_DIR, type Backend } from './support';

let backend: Backend | null = null;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  backend = await startBackend('backend-command.log');
});

test.afterAll(async () => {
  await backend?.stop();
});

async function openCommandBox(page: Page): Promise<{ box: Locator; input: Locator }> {
  await page.keyboard.press('Control+k');
  const box = page.getByRole('dialog', { name: 'Ask Binelek' });
  await expect(box).toBeVisible();
  const input = box.getByLabel('Ask or tell Binelek');
  await expect(input).toBeFocused();
  return { box, input };
}

/** Ask and wait until the answer has finished streaming; returns the new turn. */
async function ask(box: Locator, input: Locator, question: string): Promise<Locator> {
  const turns = box.getByRole('list', { name: 'Conversation' }).locator(':scope > li');
  const before = await turns.count();
  await input.fill(question);
  await input.press('Enter');
  await expect(turns).toHaveCount(before + 1);
  const turn = turns.nth(before);
  await expect(turn.getByTestId('answer')).not.toHaveAttribute('aria-busy', 'true', { timeout: 60_000 });
  return turn;
}

test('the command box answers with tools, cites documents and confirms write actions', async ({ browser }) => {
  const baseURL = backend!.baseURL;
  const run = Date.now().toString(36);
  const owner = { name: 'Cleo Commander', email: `cleo-${run}@example.com`, password: 'Harbor-Lantern-Violet-42', company: 'Gamma Goods' };
  const ctx = await browser.newContext({ baseURL, timezoneId: 'Europe/London' });
  const page = await ctx.newPage();

  await test.step('sign in to a fresh company', async () => {
    await register(page, baseURL, owner);
  });

  await test.step('Ctrl-K opens the box; a team question runs the team_members tool', async () => {
    const { box, input } = await openCommandBox(page);
    const turn = await ask(box, input, "which team members don't have MFA?");
    const card = turn.getByRole('article', { name: /Team members/ });
    await expect(card).toBeVisible();
    await expect(card).toHaveAttribute('data-tool', 'team_members');
    await expect(card.getByText('Done', { exact: true })).toBeVisible();
    await expect(card).toContainText(owner.name);
    await expect(turn.getByTestId('answer')).toContainText(owner.name);
    await expect(turn.getByText(/^Answered by /)).toBeVisible();
    await shot(page, '20-command-box-team', { fullPage: false });
    await page.keyboard.press('Escape');
    await expect(box).toBeHidden();
  });

  await test.step('write a document and wait until search finds it', async () => {
    await mainNav(page).getByRole('link', { name: 'Documents' }).click();
    await expect(page.getByRole('heading', { name: 'Documents', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'New document' }).first().click();
    const editor = page.getByRole('dialog', { name: 'New document' });
    await editor.getByLabel('Title').fill('Invoice terms');
    await editor
      .getByLabel('Body')
      .fill('Customers pay our invoices net-30: within 30 days of the invoice date. Late invoices are charged 2% interest a month.');
    await editor.getByLabel('Tags').fill('finance, billing');
    await editor.getByRole('button', { name: 'Create document' }).click();
    await expect(page.getByRole('heading', { name: 'Invoice terms', level: 1 })).toBeVisible();
    await shot(page, '21-document');

    await page.getByRole('link', { name: '← All documents' }).click();
    await expect(page.getByRole('table', { name: 'Documents' })).toContainText('Invoice terms');
    const search = page.getByRole('searchbox', { name: 'Search documents' });
    // Indexing runs in the background: search again until the new document is found.
    await expect(async () => {
      await search.fill('');
      await search.fill('when are invoices due?');
      await search.press('Enter');
      await expect(page.getByRole('list', { name: 'Search results' }).getByRole('link', { name: 'Invoice terms' })).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 60_000, intervals: [500, 1_000, 2_000] });
    await shot(page, '22-document-search');
  });

  await test.step('the assistant finds the document and links to it', async () => {
    const { box, input } = await openCommandBox(page);
    await box.getByRole('button', { name: 'New conversation' }).click();
    const turn = await ask(box, input, 'find anything about invoices');
    await expect(turn.getByRole('article', { name: /Semantic search/ })).toBeVisible();
    const source = turn.getByRole('link', { name: 'Invoice terms' }).first();
    await expect(source).toHaveAttribute('href', /^\/documents\/[0-9a-f-]{36}$/);
    await shot(page, '23-command-box-documents', { fullPage: false });
  });

  await test.step('a write action waits for confirmation', async () => {
    const box = page.getByRole('dialog', { name: 'Ask Binelek' });
    const input = box.getByLabel('Ask or tell Binelek');
    const turn = await ask(box, input, 'invite sam@example.com as a viewer');
    const card = turn.getByRole('article', { name: /Invite member/ });
    await expect(card).toHaveAttribute('data-tool', 'invite_member');
    await expect(card.getByText('Needs confirmation')).toBeVisible();
    await expect(card).toContainText('sam@example.com');
    await expect(card).toContainText('viewer');
    await expect(card.getByRole('button', { name: /^Confirm/ })).toBeVisible();
    await expect(card.getByRole('button', { name: /^Cancel/ })).toBeVisible();
    await shot(page, 'command-box', { fullPage: false });
    await page.screenshot({ path: join(WEB_DIR, '..', 'docs', 'screenshots', 'command-box.png') });

    // Nothing has happened yet: the team page has no invitation for sam.
    await page.keyboard.press('Escape');
    await mainNav(page).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Team & roles' }).click();
    await expect(page.getByRole('table', { name: 'Team members' })).toContainText(owner.email);
    await expect(page.getByRole('table', { name: 'Pending invitations' })).not.toContainText('sam@example.com');
  });

  await test.step('Confirm runs it; the invitation exists', async () => {
    const { box } = await openCommandBox(page);
    // The conversation is still open where it was left.
    const card = box.getByRole('article', { name: /Invite member/ }).first();
    await card.getByRole('button', { name: /^Confirm/ }).click();
    await expect(card.getByText('You confirmed this.')).toBeVisible({ timeout: 30_000 });
    const result = box.getByRole('list', { name: 'Conversation' }).locator(':scope > li').last();
    await expect(result.getByTestId('answer')).not.toHaveAttribute('aria-busy', 'true', { timeout: 30_000 });
    await expect(result).toContainText('Invited sam@example.com as viewer');
    await expect(result.getByRole('article', { name: /Invite member/ }).getByText('Done', { exact: true })).toBeVisible();
    await shot(page, '24-command-box-confirmed', { fullPage: false });

    await result.getByRole('link', { name: 'Open team settings' }).click();
    await expect(box).toBeHidden();
    await expect(page.getByRole('table', { name: 'Pending invitations' })).toContainText('sam@example.com');
  });

  await test.step('Settings › AI charts the tokens those questions used', async () => {
    await page.getByRole('link', { name: 'AI', exact: true }).click();
    const chart = page.getByRole('img', { name: /Tokens per day by provider, last 30 days/ });
    await expect(chart).toBeVisible();
    await expect(chart.locator('rect')).not.toHaveCount(0);
    await expect(page.getByRole('list', { name: 'Legend' })).toContainText('Offline engine');
    await page.getByText('Show as a table').click();
    await expect(page.getByRole('table', { name: /Tokens per day by provider/ }).getByRole('row')).toHaveCount(31);
    await chart.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '25-ai-usage.png') });
  });

  await ctx.close();
});
