import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { problem, server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

describe('OrganizationSettings', () => {
  it('maps a 422 VALIDATION_ERROR to the form field and shows the detail', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    let putBody: Record<string, unknown> | null = null;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.put('*/api/organization', async ({ request }) => {
        putBody = (await request.json()) as Record<string, unknown>;
        return problem(422, 'VALIDATION_ERROR', 'Validation error', 'Company name must not be blank.', {
          errors: [{ loc: ['body', 'name'], msg: 'Company name must not be blank.', type: 'value_error' }],
        });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/organization');

    const name = await screen.findByLabelText('Company name');
    expect((name as HTMLInputElement).value).toBe('Acme Ltd');
    await user.clear(name);
    await user.type(name, '   ');
    await user.click(screen.getByRole('checkbox', { name: 'Marketplace Intel' }));
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not save');
    expect(alert.textContent).toContain('Company name must not be blank.');
    await waitFor(() => expect(screen.getByLabelText('Company name').getAttribute('aria-invalid')).toBe('true'));
    const described = screen.getByLabelText('Company name').getAttribute('aria-describedby') ?? '';
    const fieldMessage = described
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent)
      .join(' ');
    expect(fieldMessage).toContain('Company name must not be blank.');
    expect(putBody).toMatchObject({
      name: '',
      modules: ['ops-copilot', 'mini-foundry', 'cybersecurity-scanner'],
      require_mfa_for_admins: false,
    });
    expect(putBody).not.toHaveProperty('plan');
  });

  it('is read-only for non-admins and hides admin-only sections', async () => {
    session.setTokens(tokens('access-1'));
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role: 'viewer' } })),
      http.get('*/api/organization', () => HttpResponse.json({ ...organization, modules: ['ops-copilot'] })),
    );
    renderApp('/settings/organization');
    const name = await screen.findByLabelText('Company name');
    expect((name as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull();
    const settingsNav = screen.getByRole('navigation', { name: 'Settings' });
    expect(settingsNav.textContent).not.toContain('Team');
    expect(settingsNav.textContent).not.toContain('API keys');
    expect(settingsNav.textContent).not.toContain('Audit log');
    // Disabled modules are hidden from the main navigation.
    const mainNav = screen.getAllByRole('navigation', { name: 'Main' })[0]!;
    expect(mainNav.textContent).toContain('Ops Copilot');
    expect(mainNav.textContent).not.toContain('Mini Foundry');
    expect(mainNav.textContent).toContain('Connectors');
  });
});
