import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

const preference = (kind: string, label: string, email: boolean) => ({
  kind,
  label,
  description: `${label} description`,
  in_app: true,
  email,
  digest: false,
  customized: false,
});

describe('NotificationSettings', () => {
  it('saves the channels chosen for each kind', async () => {
    session.setTokens(tokens('access-1'));
    tenantStore.set('t1');
    let saved: unknown = null;
    server.use(
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
      http.get('*/api/notifications/preferences', () =>
        HttpResponse.json({ items: [preference('security', 'Security alerts', true), preference('automation', 'Automations', false)] }),
      ),
      http.put('*/api/notifications/preferences', async ({ request }) => {
        saved = await request.json();
        const items = (saved as { items: Record<string, unknown>[] }).items.map((i) => ({ ...i, label: String(i.kind), description: '', customized: true }));
        return HttpResponse.json({ items });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/notifications');
    await user.click(await screen.findByRole('checkbox', { name: 'Security alerts: E-mail at once' }, { timeout: 5000 }));
    await user.click(screen.getByRole('checkbox', { name: 'Automations: Daily digest' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Your notification settings are saved.')).toBeTruthy();
    expect(saved).toEqual({
      items: [
        { kind: 'security', in_app: true, email: false, digest: false },
        { kind: 'automation', in_app: true, email: false, digest: true },
      ],
    });
  });
});
