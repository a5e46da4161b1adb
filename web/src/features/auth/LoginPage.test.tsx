import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../api/auth';
import { problem, server, tokens } from '../../test/server';
import { renderApp } from '../../test/render';
import { me, organization } from '../../test/fixtures';

function anonymous() {
  session.clear();
}

describe('LoginPage', () => {
  it('asks for an MFA code when required and resubmits with totp_code', async () => {
    anonymous();
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.post('*/api/auth/login', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        bodies.push(body);
        if (body.totp_code !== '123456') {
          return problem(401, 'AUTH_MFA_REQUIRED', 'MFA required', 'Enter the code from your authenticator app.');
        }
        return HttpResponse.json(tokens('access-mfa'));
      }),
      http.get('*/api/auth/me', () => HttpResponse.json(me)),
      http.get('*/api/organization', () => HttpResponse.json(organization)),
    );
    const user = userEvent.setup();
    renderApp('/login');

    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const codeInput = await screen.findByLabelText('Authentication code');
    expect(screen.getByRole('heading', { name: 'Two-factor authentication' })).toBeTruthy();
    // The challenge is a step, not a red error.
    expect(screen.queryByRole('alert')).toBeNull();
    expect(bodies[0]).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });

    // A wrong code keeps the user on the MFA step with an error on the field.
    await user.type(codeInput, '000000');
    await user.click(screen.getByRole('button', { name: 'Verify and sign in' }));
    expect(await screen.findByText(/That code was not accepted/)).toBeTruthy();
    expect(bodies[1]).toEqual({ email: 'ada@example.com', password: 'correct horse battery', totp_code: '000000' });

    await user.clear(screen.getByLabelText('Authentication code'));
    await user.type(screen.getByLabelText('Authentication code'), '123 456');
    await user.click(screen.getByRole('button', { name: 'Verify and sign in' }));

    await waitFor(() => expect(session.getAccessToken()).toBe('access-mfa'));
    expect(bodies[2]).toEqual({ email: 'ada@example.com', password: 'correct horse battery', totp_code: '123456' });
    expect(tenantStore.get()).toBe('t1');
    // Lands in the shell.
    expect(await screen.findByRole('heading', { name: 'Welcome, Ada' })).toBeTruthy();
    expect(screen.getByLabelText('Company')).toBeTruthy();
  });

  it('shows the problem detail for wrong credentials', async () => {
    anonymous();
    server.use(
      http.post('*/api/auth/login', () => problem(401, 'AUTH_INVALID_CREDENTIALS', 'Invalid credentials', 'Incorrect email or password.')),
    );
    const user = userEvent.setup();
    renderApp('/login');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Incorrect email or password.');
    expect(screen.queryByLabelText('Authentication code')).toBeNull();
  });

  it('sends a signed-out visitor of a protected page to /login', async () => {
    anonymous();
    renderApp('/settings/team');
    expect(await screen.findByRole('heading', { name: 'Sign in to Binelek' })).toBeTruthy();
  });
});

describe('RegisterPage', () => {
  it('maps 422 password errors and a 409 e-mail conflict to their fields', async () => {
    session.clear();
    let calls = 0;
    server.use(
      http.post('*/api/auth/register', () => {
        calls += 1;
        if (calls === 1) {
          return problem(422, 'VALIDATION_ERROR', 'Unprocessable Entity', 'This password is too common; choose a less predictable one.', {
            errors: [{ loc: ['body', 'password'], msg: 'This password is too common; choose a less predictable one.', type: 'value_error' }],
          });
        }
        return problem(409, 'EMAIL_TAKEN', 'Conflict', 'An account with this e-mail address already exists.');
      }),
    );
    const user = userEvent.setup();
    renderApp('/register');
    await user.type(screen.getByLabelText('Full name'), 'Ada Lovelace');
    await user.type(screen.getByLabelText('Work email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'password123');
    await user.type(screen.getByLabelText('Company name'), 'Acme Ltd');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBe('true'));

    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByLabelText('Work email').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByLabelText('Password').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).toContain('An account with this e-mail address already exists.');
  });
});
