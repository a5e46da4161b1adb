import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { problem, server } from '../../../test/server';
import { OPS, renderOps, signedInAs, workflow } from './testing';
import type { TestOut, WorkflowIn } from './types';

function settings() {
  return screen.getByRole('complementary', { name: 'Step settings' });
}

async function addStep(user: ReturnType<typeof userEvent.setup>, at: string, type: string) {
  await user.click(screen.getByRole('button', { name: at }));
  await user.click(within(screen.getByRole('group', { name: 'Choose a step type' })).getByRole('button', { name: type }));
}

describe('the automation builder', () => {
  it('builds an event automation with a branch, inserts variables at the cursor, and saves the definition', async () => {
    signedInAs('admin');
    let sent: WorkflowIn | null = null;
    server.use(
      http.post(`${OPS}/workflows`, async ({ request }) => {
        sent = (await request.json()) as WorkflowIn;
        return HttpResponse.json(workflow({ id: 'wf-9', name: sent.name, trigger: sent.trigger as never, steps: sent.steps as never }), { status: 201 });
      }),
      http.get(`${OPS}/workflows/wf-9`, () => HttpResponse.json(workflow({ id: 'wf-9', name: sent!.name, trigger: sent!.trigger as never, steps: sent!.steps as never }))),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations/new');

    expect(await screen.findByRole('heading', { name: 'New automation', level: 1 })).toBeTruthy();
    await user.type(screen.getByLabelText('Automation name'), 'Thank big customers');
    await user.selectOptions(screen.getByLabelText('Start this automation'), 'event');
    expect((screen.getByLabelText('Event') as HTMLSelectElement).value).toBe('order.created');
    await user.click(screen.getByRole('button', { name: 'Add condition' }));
    expect((screen.getByLabelText('Field 1') as HTMLInputElement).value).toBe('trigger.total');
    await user.type(screen.getByLabelText('Value 1'), '500');
    expect(screen.getByTestId('trigger-summary').textContent).toBe('When an order is created and total > 500');

    // A task whose title names the customer, picked from the variables.
    await addStep(user, 'Add a step at the start', 'Create a task');
    expect(within(settings()).getByRole('heading', { name: 'create_task' })).toBeTruthy();
    const title = within(settings()).getByLabelText('Title') as HTMLInputElement;
    await user.type(title, 'Thank ');
    await user.click(within(settings()).getByRole('button', { name: 'Insert customer' }));
    await waitFor(() => expect(title.value).toBe('Thank {{ customer }}'));
    await user.selectOptions(within(settings()).getByLabelText('Priority (optional)'), 'high');

    // An if/else after it, and an e-mail in its "then" branch.
    await addStep(user, 'Add a step after create_task', 'If / else');
    await user.type(within(settings()).getByLabelText('Field 1'), 'trigger.total');
    await user.selectOptions(within(settings()).getByLabelText('Comparison 1'), 'gt');
    await user.type(within(settings()).getByLabelText('Value 1'), '1000');
    await addStep(user, 'Add a step to the then branch of condition', 'Send an e-mail');
    expect(within(settings()).getByRole('heading', { name: 'send_email' })).toBeTruthy();
    // Earlier steps offer their outputs by type; the e-mail's own outputs are not offered to itself.
    expect(within(settings()).getByRole('list', { name: 'create_task (Create a task)' }).textContent).toContain('steps.create_task.link');
    expect(within(settings()).queryByRole('button', { name: 'Insert steps.send_email.message_id' })).toBeNull();
    const to = within(settings()).getByLabelText('To') as HTMLInputElement;
    await user.click(to);
    await user.click(within(settings()).getByRole('button', { name: 'Insert owner.email' }));
    await waitFor(() => expect(to.value).toBe('{{ owner.email }}'));
    const subject = within(settings()).getByLabelText('Subject') as HTMLInputElement;
    await user.type(subject, 'Big order ');
    await user.click(within(settings()).getByRole('button', { name: 'Insert trigger.order_number' }));
    await waitFor(() => expect(subject.value).toBe('Big order {{ trigger.order_number }}'));
    await user.type(within(settings()).getByLabelText('Body'), 'Thank them.');

    const branches = screen.getByRole('list', { name: 'Then of condition' });
    expect(within(branches).getByRole('button', { name: 'Edit send_email' })).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(sent).not.toBeNull());
    expect(sent).toEqual({
      name: 'Thank big customers',
      is_active: false,
      trigger: { type: 'event', event: 'order.created', conditions: [{ field: 'trigger.total', op: 'gt', value: 500 }], match: 'all' },
      steps: [
        { id: 'create_task', type: 'create_task', on_error: 'fail', config: { title: 'Thank {{ customer }}', priority: 'high' } },
        {
          id: 'condition',
          type: 'condition',
          on_error: 'fail',
          config: { conditions: [{ field: 'trigger.total', op: 'gt', value: 1000 }], match: 'all' },
          then: [
            {
              id: 'send_email',
              type: 'send_email',
              on_error: 'fail',
              config: { to: '{{ owner.email }}', subject: 'Big order {{ trigger.order_number }}', body: 'Thank them.' },
            },
          ],
          else: [],
        },
      ],
    });
    expect(await screen.findByRole('heading', { name: 'Thank big customers', level: 1 })).toBeTruthy();
    expect(await screen.findByText('Version 1', {}, { timeout: 5000 })).toBeTruthy();
    expect(screen.getByText('Inactive')).toBeTruthy();
  }, 30_000);

  it('indents a loop body whose steps can use the item, and moves and deletes steps', async () => {
    signedInAs('admin');
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations/new');
    await screen.findByRole('button', { name: 'Add a step at the start' });
    await addStep(user, 'Add a step at the start', 'For each item');
    await addStep(user, 'Add a step inside loop', 'Notify people');
    const body = screen.getByRole('list', { name: 'Steps inside loop' });
    expect(within(body).getByRole('button', { name: 'Edit notify' })).toBeTruthy();
    expect(within(settings()).getByRole('list', { name: 'This item' }).textContent).toBe('itemindex');
    expect(within(settings()).getByRole('list', { name: 'loop (For each item)' }).textContent).toContain('steps.loop.count');

    await addStep(user, 'Add a step after loop', 'Wait');
    expect(within(settings()).queryByRole('list', { name: 'This item' })).toBeNull();
    expect((within(settings()).getByLabelText('Hours (optional)') as HTMLInputElement).value).toBe('1');
    const top = () => within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('button', { name: /^Edit / }).map((b) => b.getAttribute('aria-label'));
    expect(top()).toEqual(['Edit loop', 'Edit notify', 'Edit delay']);
    await user.click(screen.getByRole('button', { name: 'Move delay up' }));
    expect(top()).toEqual(['Edit delay', 'Edit loop', 'Edit notify']);
    await user.click(screen.getByRole('button', { name: 'Delete loop' }));
    expect(top()).toEqual(['Edit delay']);
  });

  it("shows the server's 422 next to the form and points at the step it names", async () => {
    signedInAs('admin');
    server.use(
      http.get(`${OPS}/workflows/wf-1`, () => HttpResponse.json(workflow())),
      http.put(`${OPS}/workflows/wf-1`, () =>
        problem(422, 'VALIDATION_ERROR', 'Validation failed', "The workflow is not valid: step 'create_task': 'steps.nope' is not a step that runs before this one"),
      ),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations/wf-1');
    const title = (await within(await screen.findByRole('complementary', { name: 'Step settings' })).findByLabelText('Title')) as HTMLInputElement;
    await user.clear(title);
    await user.type(title, 'Call steps.nope');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const alert = (await screen.findByText('Could not save the automation')).closest('[role="alert"]')!;
    expect(alert.textContent).toContain("step 'create_task': 'steps.nope' is not a step that runs before this one");
    expect(within(screen.getByRole('list', { name: 'Steps' })).getByRole('button', { name: 'Edit create_task' })).toBeTruthy();
    expect(within(settings()).getByRole('alert').textContent).toBe("step 'create_task': 'steps.nope' is not a step that runs before this one");
  });

  it('test mode sends the unsaved form and shows each step, the branch taken and the error', async () => {
    signedInAs('admin');
    let sent: { input: Record<string, unknown>; definition: WorkflowIn } | null = null;
    const answer: TestOut = {
      status: 'failed',
      trigger_matches: true,
      steps: [
        { path: 'create_task', type: 'create_task', input: { title: 'Thank Ada Lovelace', priority: 'urgent' }, would: { text: "would create a urgent-priority task 'Thank Ada Lovelace'", output: {} } },
        { path: 'big', type: 'condition', input: {}, would: { output: { result: false } } },
        { path: 'big.else.mail', type: 'send_email', input: {}, would: {}, error: "unknown value ('dict object' has no attribute 'nope')" },
      ],
      error: { message: "unknown value ('dict object' has no attribute 'nope')", step: 'big.else.mail' },
    };
    server.use(
      http.get(`${OPS}/workflows/wf-1`, () => HttpResponse.json(workflow())),
      http.post(`${OPS}/workflows/wf-1/test`, async ({ request }) => {
        sent = (await request.json()) as typeof sent;
        return HttpResponse.json(answer);
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations/wf-1');
    const panel = await screen.findByRole('complementary', { name: 'Step settings' });
    await user.selectOptions(within(panel).getByLabelText('Priority (optional)'), 'urgent');
    expect(screen.getByText('Unsaved changes')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Test' }));
    const sample = screen.getByLabelText('Sample trigger data (JSON)') as HTMLTextAreaElement;
    expect(JSON.parse(sample.value)).toMatchObject({ order_number: '#1001', total: '612.50', customer: { name: 'Ada Lovelace' } });
    await user.click(screen.getByRole('button', { name: 'Run test' }));

    const results = await screen.findByRole('list', { name: 'Test results' });
    expect(sent!.input).toMatchObject({ total: '612.50' });
    expect(sent!.definition.steps[0]).toMatchObject({ config: { title: 'Thank {{ customer }}', priority: 'urgent' } });
    const items = within(results).getAllByRole('listitem');
    expect(items[0]!.textContent).toContain("Would create a urgent-priority task 'Thank Ada Lovelace'");
    expect(items[0]!.textContent).toContain('Rendered input');
    expect(items[1]!.textContent).toContain('The conditions do not hold: it takes the “else” branch.');
    expect(items[2]!.textContent).toContain("has no attribute 'nope'");
    expect(screen.getByText(/The trigger’s conditions match this data/)).toBeTruthy();
    expect(screen.getByText(/The run would fail at big\.else\.mail/)).toBeTruthy();
  });

  it('shows a new webhook URL and its one-time secret after the first save', async () => {
    signedInAs('admin');
    server.use(
      http.post(`${OPS}/workflows`, async ({ request }) => {
        const body = (await request.json()) as WorkflowIn;
        return HttpResponse.json(
          workflow({ id: 'wf-hook', name: body.name, trigger: { type: 'webhook', auth: 'hmac' }, steps: body.steps as never, webhook_url: 'http://127.0.0.1:8000/api/modules/ops-copilot/hooks/tok', webhook_secret: 's3cret' }),
          { status: 201 },
        );
      }),
    );
    const user = userEvent.setup({ delay: null });
    renderOps('/ops/automations/new');
    await user.type(await screen.findByLabelText('Automation name'), 'Leads');
    await user.selectOptions(screen.getByLabelText('Start this automation'), 'webhook');
    expect(screen.getByText('The URL and its secret appear here once you save.')).toBeTruthy();
    await addStep(user, 'Add a step at the start', 'Notify people');
    await user.type(within(settings()).getByLabelText('Title'), 'New lead');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(((await screen.findByLabelText('Webhook URL')) as HTMLInputElement).value).toBe('http://127.0.0.1:8000/api/modules/ops-copilot/hooks/tok');
    expect((screen.getByLabelText('Webhook secret') as HTMLInputElement).value).toBe('s3cret');
    expect(screen.getByText('Copy the secret now: it is shown only once.')).toBeTruthy();
  });

  it('starts from a proposed definition passed in the location state', async () => {
    signedInAs('admin');
    renderOps('/ops/automations/new', {
      definition: {
        name: 'Create “Follow up …” tasks automatically',
        trigger: { type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Lisbon' },
        steps: [{ id: 'create_task', type: 'create_task', config: { title: 'Follow up', priority: 'high' } }],
      },
    });
    expect(((await screen.findByLabelText('Automation name')) as HTMLInputElement).value).toBe('Create “Follow up …” tasks automatically');
    expect(screen.getByTestId('cron-preview').textContent).toBe('Every weekday (Monday to Friday) at 09:00 (Europe/Lisbon)');
    expect((within(settings()).getByLabelText('Title') as HTMLInputElement).value).toBe('Follow up');
    expect(await screen.findByRole('button', { name: 'Save and activate' })).toBeTruthy();
  });
});
