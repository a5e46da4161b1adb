import { describe, expect, it } from 'vitest';
import { describeCron } from './cron';
import { Forms, insertStep, locate, moveStep, newStep, removeStep, ROOT, toDraft, toWorkflowIn, blankDraft, type Draft } from './definition';
import { describeTrigger } from './describe';
import { catalog } from './testing';
import { insertTemplate, sampleInput, variableGroups } from './variables';

const forms = new Forms(catalog);

describe('reading triggers', () => {
  it('reads common cron shapes in words and quotes the rest', () => {
    expect(describeCron('0 9 * * 1')).toBe('Every Monday at 09:00');
    expect(describeCron('0 9 * * 1-5')).toBe('Every weekday (Monday to Friday) at 09:00');
    expect(describeCron('30 8 * * *')).toBe('Every day at 08:30');
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes');
    expect(describeCron('0 9 1 * *')).toBe('On day 1 of every month at 09:00');
    expect(describeCron('0 9,17 * * 1,3')).toBe('Every Monday and Wednesday at 09:00 and 17:00');
    expect(describeCron('0 9 * *')).toBeNull();
    expect(describeCron('0 9 L * *')).toBeNull();
  });

  it('sums a trigger up in one line', () => {
    expect(describeTrigger({ type: 'event', event: 'order.created', conditions: [{ field: 'trigger.total', op: 'gt', value: 500 }] })).toBe(
      'When an order is created and total > 500',
    );
    expect(describeTrigger({ type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Berlin' })).toBe('Every Monday at 09:00 (Europe/Berlin)');
    expect(describeTrigger({ type: 'manual' })).toBe('Run manually');
    expect(describeTrigger({ type: 'condition', metric: 'revenue', period: 'last_7_days', op: 'lt', value: 100 })).toBe('When revenue (last 7 days) < 100');
  });
});

describe('variables', () => {
  it('offers the event fields, the customer and earlier steps by type, and inserts a template at the cursor', () => {
    const groups = variableGroups({ triggerType: 'event', event: 'order.created', earlier: [{ id: 'thank', type: 'create_task' }], inLoop: false });
    const paths = groups.flatMap((g) => g.variables.map((v) => v.path));
    expect(paths).toEqual(expect.arrayContaining(['trigger.order_id', 'trigger.order_number', 'trigger.total', 'trigger.placed_at', 'customer', 'customer.email', 'owner.email']));
    expect(groups.find((g) => g.label.startsWith('thank'))!.variables.map((v) => v.path)).toEqual([
      'steps.thank.id',
      'steps.thank.title',
      'steps.thank.priority',
      'steps.thank.status',
      'steps.thank.due_at',
      'steps.thank.link',
    ]);
    expect(paths).not.toContain('item');
    expect(insertTemplate('Thank !', 'customer', 6)).toEqual({ text: 'Thank {{ customer }}!', caret: 20 });
    expect(insertTemplate('Hi NAME', 'customer.name', 3, 7)).toEqual({ text: 'Hi {{ customer.name }}', caret: 22 });
    expect(sampleInput('event', 'order.created')).toMatchObject({ total: '612.50', customer: { name: 'Ada Lovelace' } });
  });
});

describe('the step tree', () => {
  function built(): Draft {
    const draft = blankDraft();
    const task = newStep('create_task', forms, []);
    const check = newStep('condition', forms, [task]);
    const loop = newStep('loop', forms, [task, check]);
    let steps = insertStep([], ROOT, 0, task);
    steps = insertStep(steps, ROOT, 1, check);
    const mail = newStep('send_email', forms, steps);
    steps = insertStep(steps, { parent: check.key, branch: 'then' }, 0, mail);
    steps = insertStep(steps, ROOT, 2, loop);
    const inner = newStep('notify', forms, steps);
    steps = insertStep(steps, { parent: loop.key, branch: 'steps' }, 0, inner);
    return { ...draft, name: 'Tree', steps };
  }

  it('inserts into branches and loop bodies, with fresh ids, and knows what ran before', () => {
    const draft = built();
    expect(draft.steps.map((s) => s.id)).toEqual(['create_task', 'condition', 'loop']);
    expect(draft.steps[1]!.then.map((s) => s.id)).toEqual(['send_email']);
    const inner = draft.steps[2]!.steps[0]!;
    const where = locate(draft.steps, inner.key)!;
    expect(where.inLoop).toBe(true);
    expect(where.before.map((s) => s.id)).toEqual(['create_task', 'condition', 'send_email', 'loop']);
    expect(locate(draft.steps, draft.steps[1]!.then[0]!.key)!.before.map((s) => s.id)).toEqual(['create_task', 'condition']);
    const second = newStep('create_task', forms, draft.steps);
    expect(second.id).toBe('create_task_2');
  });

  it('moves and removes by key', () => {
    const draft = built();
    const moved = moveStep(draft.steps, draft.steps[0]!.key, 1);
    expect(moved.map((s) => s.id)).toEqual(['condition', 'create_task', 'loop']);
    const mail = draft.steps[1]!.then[0]!;
    const removed = removeStep(draft.steps, mail.key);
    expect(removed[1]!.then).toEqual([]);
  });

  it('saves the shape the server reads: branches only on conditions, bodies only on loops, typed values', () => {
    const draft = built();
    draft.trigger = { ...draft.trigger, type: 'event', event: 'order.created', conditions: [{ field: 'trigger.total', op: 'gt', value: '500' }] };
    draft.steps[0]!.config = { ...draft.steps[0]!.config, title: 'Thank {{ customer }}', priority: 'high', tags: 'vip, thanks', estimate_minutes: '15' };
    const body = toWorkflowIn(draft, forms);
    expect(body.trigger).toEqual({ type: 'event', event: 'order.created', conditions: [{ field: 'trigger.total', op: 'gt', value: 500 }], match: 'all' });
    expect(body.steps[0]).toEqual({
      id: 'create_task',
      type: 'create_task',
      on_error: 'fail',
      config: { title: 'Thank {{ customer }}', priority: 'high', tags: ['vip', 'thanks'], estimate_minutes: 15 },
    });
    expect(body.steps[1]).toMatchObject({ type: 'condition', then: [{ id: 'send_email', type: 'send_email' }], else: [] });
    expect(body.steps[1]).not.toHaveProperty('steps');
    expect(body.steps[2]).toMatchObject({ type: 'loop', steps: [{ id: 'notify', type: 'notify', config: { to: 'owner' } }] });
    expect(body.steps[2]).not.toHaveProperty('then');
  });

  it('round-trips a saved workflow through the form', () => {
    const saved = {
      name: 'Round trip',
      trigger: { type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
      steps: [
        { id: 'call', type: 'http_request', config: { method: 'POST', url: 'https://example.com', headers: { 'X-Key': 'abc' }, body: { id: '{{ run.id }}' }, fail_on_status: true }, retry: { max_attempts: 5, backoff_seconds: 1, max_backoff_seconds: 60 }, timeout_seconds: 10, on_error: 'continue' },
        { id: 'check', type: 'condition', config: { conditions: [{ field: 'steps.call.status', op: 'in', value: [200, 201] }], match: 'any' }, then: [], else: [{ id: 'tell', type: 'notify', config: { to: 'admins', title: 'Call failed' } }] },
      ],
      is_active: true,
    };
    const draft = toDraft(saved as never, forms);
    const body = toWorkflowIn(draft, forms);
    expect(body.trigger).toEqual(saved.trigger);
    expect(body.steps[0]).toEqual(saved.steps[0]);
    // "is one of" values come back as text: the server compares numbers and numeric text alike.
    expect(body.steps[1]).toEqual({
      ...saved.steps[1],
      on_error: 'fail',
      config: { conditions: [{ field: 'steps.call.status', op: 'in', value: ['200', '201'] }], match: 'any' },
      else: [{ ...saved.steps[1]!.else![0], on_error: 'fail' }],
    });
    expect(body.is_active).toBe(true);
  });
});
