import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { server } from '../../test/server';
import { alert, page, SECURITY_URL, signedInAs } from './testing';

const slow = { timeout: 8000 };

describe('Cybersecurity Scanner routes', { timeout: 20_000 }, () => {
  it('mounts each area under its tab', async () => {
    signedInAs('member');
    server.use(http.get(`${SECURITY_URL}/alerts`, () => HttpResponse.json(page([alert({ title: 'Certificate expires in 6 days' })]))));
    renderApp('/security/alerts');
    expect(await screen.findByText('Certificate expires in 6 days', {}, slow)).toBeTruthy();
    const tabs = screen.getByRole('navigation', { name: 'Cybersecurity Scanner' });
    expect(tabs.querySelector('[aria-current="page"]')?.textContent).toBe('Alerts');
    expect([...tabs.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['Overview', 'Issues', 'Assets', 'Scans', 'Devices', 'Compliance', 'Alerts']);
  });

  it('says so when the organization turned the scanner off', async () => {
    signedInAs('admin');
    server.use(http.get('*/api/organization', () => HttpResponse.json({ ...organization, modules: ['ops-copilot'] })));
    renderApp('/security/issues');
    expect(await screen.findByText('Cybersecurity Scanner is turned off for Acme Ltd', {}, slow)).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Cybersecurity Scanner' })).toBeNull();
  });
});
