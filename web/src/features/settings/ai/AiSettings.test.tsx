import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { session, tenantStore } from '../../../api/auth';
import { problem, server, tokens } from '../../../test/server';
import { renderApp } from '../../../test/render';
import { me, organization } from '../../../test/fixtures';
import type { LlmApiKey, LlmApiKeyPage, LlmProviderList, LlmSettings } from './types';

const providers: LlmProviderList = {
  items: [
    { id: 'local', name: 'Built-in offline engine', models: ['binelek-local'], configured: true, requires_key: false, default_base_url: null },
    { id: 'openai', name: 'OpenAI', models: ['gpt-4.1', 'gpt-4.1-mini'], configured: true, requires_key: true, default_base_url: 'https://api.openai.com/v1' },
    { id: 'anthropic', name: 'Anthropic', models: ['claude-sonnet-4-5'], configured: false, requires_key: true, default_base_url: 'https://api.anthropic.com' },
    { id: 'ollama', name: 'Ollama', models: ['llama3.2'], configured: false, requires_key: false, default_base_url: 'http://127.0.0.1:11434' },
  ],
};

const existingKey: LlmApiKey = {
  id: '7b0d0c3e-0000-4000-8000-000000000001',
  provider: 'openai',
  label: 'Production',
  last4: '1234',
  base_url: null,
  status: 'valid',
  created_at: '2025-01-10T09:00:00Z',
  last_verified_at: '2025-01-10T09:00:00Z',
};

const settings: LlmSettings = {
  default_provider: 'openai',
  default_model: 'gpt-4.1-mini',
  temperature: 0.2,
  module_overrides: { 'ops-copilot': { provider: 'local', model: null } },
  fallback_provider: 'local',
  monthly_token_budget: null,
  auto_run_write_tools: false,
};

function page(items: LlmApiKey[]): LlmApiKeyPage {
  return { items, total: items.length, limit: 20, offset: 0 };
}

function fieldMessage(input: HTMLElement): string {
  return (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent)
    .join(' ');
}

function signedInAs(role: 'admin' | 'member' | 'viewer') {
  session.setTokens(tokens('access-1'));
  tenantStore.set('t1');
  server.use(
    http.get('*/api/auth/me', () => HttpResponse.json({ ...me, current_tenant: { id: 't1', name: 'Acme Ltd', role } })),
    http.get('*/api/organization', () => HttpResponse.json(organization)),
    http.get('*/api/llm/providers', () => HttpResponse.json(providers)),
    http.get('*/api/llm/settings', () => HttpResponse.json(settings)),
    http.get('*/api/llm/usage', () =>
      HttpResponse.json({ month_start: '2025-01-01', month_tokens: 0, month_cost_usd: '0', monthly_token_budget: null, days: [] }),
    ),
  );
}

describe('AiSettings', () => {
  it('shows a 422 from the provider check under the API key field', async () => {
    signedInAs('admin');
    server.use(
      http.get('*/api/llm/api-keys', () => HttpResponse.json(page([existingKey]))),
      http.post('*/api/llm/api-keys', () =>
        problem(422, 'VALIDATION_ERROR', 'Validation error', 'OpenAI rejected this API key.', {
          errors: [{ loc: ['body', 'api_key'], msg: 'OpenAI rejected this API key.', type: 'value_error' }],
        }),
      ),
    );
    const user = userEvent.setup();
    renderApp('/settings/ai');

    await user.click(await screen.findByRole('button', { name: 'Add key for OpenAI' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an API key' });
    expect((within(dialog).getByLabelText('Provider') as HTMLSelectElement).value).toBe('openai');
    const keyInput = within(dialog).getByLabelText('API key');
    expect(keyInput.getAttribute('type')).toBe('password');
    expect(keyInput.getAttribute('autocomplete')).toBe('off');
    await user.type(keyInput, 'sk-wrong-key-0000');
    await user.click(within(dialog).getByRole('button', { name: 'Save key' }));

    await waitFor(() => expect(within(dialog).getByLabelText('API key').getAttribute('aria-invalid')).toBe('true'));
    expect(fieldMessage(within(dialog).getByLabelText('API key'))).toContain('OpenAI rejected this API key.');
    expect(within(dialog).getByRole('alert').textContent).toContain('OpenAI rejected this API key.');
  });

  it('never shows a full key: the table shows only the masked last 4', async () => {
    signedInAs('admin');
    const secret = 'sk-live-SECRET-value-abcd5678';
    let keys: LlmApiKey[] = [existingKey];
    let posted: Record<string, unknown> | null = null;
    server.use(
      http.get('*/api/llm/api-keys', () => HttpResponse.json(page(keys))),
      http.post('*/api/llm/api-keys', async ({ request }) => {
        posted = (await request.json()) as Record<string, unknown>;
        const created: LlmApiKey = { ...existingKey, id: '7b0d0c3e-0000-4000-8000-000000000002', provider: 'anthropic', label: 'Staging', last4: '5678', status: 'unverified', last_verified_at: null };
        keys = [...keys, created];
        return HttpResponse.json(created, { status: 201 });
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/ai');

    const table = await screen.findByRole('table', { name: 'AI provider API keys' });
    expect(await within(table).findByText('•••• 1234')).toBeTruthy();
    expect(within(table).getByText('Valid')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Add key for Anthropic' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an API key' });
    await user.type(within(dialog).getByLabelText('API key'), secret);
    await user.type(within(dialog).getByLabelText('Label (optional)'), 'Staging');
    await user.click(within(dialog).getByRole('button', { name: 'Save key' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(posted).toMatchObject({ provider: 'anthropic', api_key: secret, label: 'Staging' });
    const updated = screen.getByRole('table', { name: 'AI provider API keys' });
    expect(await within(updated).findByText('•••• 5678')).toBeTruthy();
    expect(within(updated).getByText('Unverified')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain('marked unverified');
    expect(document.body.textContent).not.toContain(secret);
    expect(document.body.textContent).not.toContain('SECRET');
    for (const input of Array.from(document.querySelectorAll('input'))) expect(input.value).not.toContain('SECRET');
  });

  it('shows the empty state when there are no keys', async () => {
    signedInAs('admin');
    server.use(http.get('*/api/llm/api-keys', () => HttpResponse.json(page([]))));
    renderApp('/settings/ai');
    expect(await screen.findByText('No keys yet — the built-in offline engine works without one.')).toBeTruthy();
  });

  it('saves the defaults and maps 422 field errors onto the form', async () => {
    signedInAs('admin');
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.get('*/api/llm/api-keys', () => HttpResponse.json(page([]))),
      http.put('*/api/llm/settings', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        bodies.push(body);
        if (bodies.length === 1) {
          return problem(422, 'VALIDATION_ERROR', 'Validation error', 'Input should be less than or equal to 2.', {
            errors: [{ loc: ['body', 'temperature'], msg: 'Input should be less than or equal to 2', type: 'less_than_equal' }],
          });
        }
        return HttpResponse.json(body);
      }),
    );
    const user = userEvent.setup();
    renderApp('/settings/ai');

    const temperature = await screen.findByLabelText('Temperature');
    expect((screen.getByLabelText('Default model') as HTMLSelectElement).value).toBe('gpt-4.1-mini');
    await user.clear(temperature);
    await user.type(temperature, '3');
    await user.selectOptions(screen.getByLabelText('Marketplace Intel provider'), 'anthropic');
    await user.selectOptions(screen.getByLabelText('Marketplace Intel model'), 'claude-sonnet-4-5');
    await user.type(screen.getByLabelText('Monthly token budget'), '500000');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    await waitFor(() => expect(screen.getByLabelText('Temperature').getAttribute('aria-invalid')).toBe('true'));
    expect(fieldMessage(screen.getByLabelText('Temperature'))).toContain('Input should be less than or equal to 2');
    expect(bodies[0]).toEqual({
      default_provider: 'openai',
      default_model: 'gpt-4.1-mini',
      temperature: 3,
      module_overrides: {
        'ops-copilot': { provider: 'local', model: null },
        'marketplace-intel': { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      },
      fallback_provider: 'local',
      monthly_token_budget: 500000,
      auto_run_write_tools: false,
    });

    await user.clear(screen.getByLabelText('Temperature'));
    await user.type(screen.getByLabelText('Temperature'), '0.7');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('AI settings saved.')).toBeTruthy();
    expect(bodies[1]).toMatchObject({ temperature: 0.7 });
    expect(screen.getByLabelText('Temperature').getAttribute('aria-invalid')).toBeNull();
  });

  it('is read-only for a viewer: disabled defaults, no Save button, no keys', async () => {
    signedInAs('viewer');
    let keyListCalls = 0;
    server.use(
      http.get('*/api/llm/api-keys', () => {
        keyListCalls += 1;
        return problem(403, 'PERMISSION_DENIED', 'Permission denied', 'Admins only.');
      }),
    );
    renderApp('/settings/ai');

    const provider = await screen.findByLabelText('Default provider');
    expect((provider as HTMLSelectElement).disabled).toBe(true);
    expect((screen.getByLabelText('Default model') as HTMLSelectElement).disabled).toBe(true);
    expect((screen.getByLabelText('Temperature') as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByLabelText('Fallback provider') as HTMLSelectElement).disabled).toBe(true);
    expect((screen.getByLabelText('Monthly token budget') as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByRole('checkbox', { name: 'Run write tools automatically' }) as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByLabelText('Ops Copilot provider') as HTMLSelectElement).disabled).toBe(true);
    expect(screen.getByText('Only admins can change these settings.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Save changes' })).toBeNull();

    // Providers are visible, with their status, but cannot be configured.
    const providerTable = screen.getByRole('table', { name: 'AI providers' });
    expect(within(providerTable).getByText('Built in')).toBeTruthy();
    expect(within(providerTable).getByText('Configured')).toBeTruthy();
    expect(within(providerTable).getByText('Needs a key')).toBeTruthy();
    expect(within(providerTable).getByText('No key needed')).toBeTruthy();
    expect(screen.queryAllByRole('button', { name: /add key/i })).toHaveLength(0);
    expect(screen.queryByRole('table', { name: 'AI provider API keys' })).toBeNull();
    expect(keyListCalls).toBe(0);
    expect(screen.getByRole('navigation', { name: 'Settings' }).textContent).toContain('AI');
  });
});
