import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { organization } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import { server } from '../../test/server';
import { OPS_URL, signedInAs } from './shared/testing';

const slow = { timeout: 8000 };

describe('Ops Copilot routes', { timeout: 20_000 }, () => {
  it('mounts the automations under their tab', async () => {
    signedInAs('member');
    server.use(http.get(`${OPS_URL}/workflows`, () => HttpResponse.json([])));
    renderApp('/ops/automations');
    expect(await screen.findByText('No automations yet', {}, slow)).toBeTruthy();
    const tabs = screen.getByRole('navigation', { name: 'Ops Copilot' });
    const current = tabs.querySelector('[aria-current="page"]');
    expect(current?.textContent).toBe('Automations');
    expect([...tabs.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['Tasks', 'Board', 'Schedule', 'Automations', 'Runs']);
  });

  it('says so when the organization turned Ops Copilot off', async () => {
    signedInAs('admin');
    server.use(http.get('*/api/organization', () => HttpResponse.json({ ...organization, modules: ['mini-foundry'] })));
    renderApp('/ops/tasks');
    expect(await screen.findByText('Ops Copilot is turned off for Acme Ltd', {}, slow)).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Ops Copilot' })).toBeNull();
  });
});
