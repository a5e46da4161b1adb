import { beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { problem, server } from '../../../test/server';
import { OPS_URL, page, signedInAs, task } from '../shared/testing';
import type { Task, TaskStatus } from '../shared/types';
import { applyMove, positionAt } from './board';

beforeAll(async () => {
  await import('./pages');
}, 30_000);

const slow = { timeout: 4000 };
/** Whole-shell renders: generous under a loaded machine (the whole suite runs in parallel). */
const UI = { timeout: 15_000 };

describe('board arithmetic', () => {
  const col = (...positions: number[]) => positions.map((position, i) => task({ id: `c${i}`, position }));

  it('puts a card between, before or after its neighbours', () => {
    expect(positionAt(col(1, 3), 1, 9)).toBe(2);
    expect(positionAt(col(1, 3), 0, 9)).toBe(0);
    expect(positionAt(col(1, 3), 2, 9)).toBe(4);
    expect(positionAt([], 0, 9)).toBe(9);
  });

  it('moves a card and says what to PATCH', () => {
    const a = task({ id: 'a', position: 1 });
    const b = task({ id: 'b', position: 2 });
    const c = task({ id: 'c', position: 5, status: 'done' });
    const moved = applyMove({ todo: [a, b], done: [c] }, { taskId: 'a', to: 'done', index: 1 })!;
    expect(moved.patch).toEqual({ status: 'done', position: 6 });
    expect(moved.columns.todo!.map((t) => t.id)).toEqual(['b']);
    expect(moved.columns.done!.map((t) => [t.id, t.status])).toEqual([['c', 'done'], ['a', 'done']]);
    expect(applyMove({ todo: [a, b] }, { taskId: 'b', to: 'todo', index: 0 })!.patch).toEqual({ position: 0 });
    expect(applyMove({ todo: [a, b] }, { taskId: 'a', to: 'todo', index: 0 })).toBeNull();
  });
});

/** Serves the board's columns from `store` (by status) and records each PATCH. */
function serveBoard(store: Record<TaskStatus, Task[]>, answer: (id: string, body: Partial<Task>) => Response | Promise<Response>) {
  const patches: { id: string; body: unknown }[] = [];
  server.use(
    http.get(`${OPS_URL}/tasks`, ({ request }) => {
      const status = new URL(request.url).searchParams.get('status') as TaskStatus;
      return HttpResponse.json(page(store[status] ?? []));
    }),
    http.patch(`${OPS_URL}/tasks/:id`, async ({ params, request }) => {
      const body = (await request.json()) as Partial<Task>;
      patches.push({ id: String(params.id), body });
      return answer(String(params.id), body);
    }),
  );
  return patches;
}

const titlesIn = (name: string) =>
  within(screen.getByRole('list', { name }))
    .queryAllByRole('article')
    .map((el) => el.getAttribute('aria-label'));

/** The card, once the role is known and it can be dragged. */
async function draggableCard(name: string) {
  const card = await screen.findByRole('article', { name }, slow);
  await waitFor(() => expect(card.getAttribute('draggable')).toBe('true'));
  return card;
}

/** happy-dom has no DragEvent (its init would drop clientY): plain events carrying the pointer. */
function pointerEvent(type: string, clientY: number) {
  const event = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(event, 'clientY', { value: clientY });
  return event;
}

function drag(card: HTMLElement, target: HTMLElement, clientY = 10_000) {
  fireEvent.dragStart(card);
  fireEvent(target, pointerEvent('dragover', clientY));
  fireEvent(target, pointerEvent('drop', clientY));
  fireEvent.dragEnd(card);
}

describe('Kanban board', UI, () => {
  it('moves a card to another column at once and PATCHes its status and position', async () => {
    signedInAs('member');
    const write = task({ title: 'Write the newsletter', position: 1 });
    const store = {
      todo: [write, task({ title: 'Order beans', position: 2 })],
      in_progress: [task({ title: 'Roast', status: 'in_progress', position: 4 })],
      blocked: [],
      done: [],
      cancelled: [task({ title: 'Old idea', status: 'cancelled' })],
    } as Record<TaskStatus, Task[]>;
    let answered = false;
    const patches = serveBoard(store, async (id, body) => {
      await delay(300);
      answered = true;
      return HttpResponse.json({ ...write, ...body, id });
    });
    renderApp('/ops/board');

    const card = await draggableCard('Write the newsletter');
    expect(screen.queryByRole('list', { name: 'Cancelled tasks' })).toBeNull();
    drag(card, screen.getByRole('list', { name: 'In progress tasks' }));

    // Optimistic: the card is in its new column before the server answers.
    await waitFor(() => expect(titlesIn('In progress tasks')).toEqual(['Roast', 'Write the newsletter']));
    expect(titlesIn('To do tasks')).toEqual(['Order beans']);
    expect(answered).toBe(false);
    await waitFor(() => expect(patches).toEqual([{ id: write.id, body: { status: 'in_progress', position: 5 } }]));

    fireEvent.click(screen.getByLabelText('Show cancelled'));
    expect(await screen.findByRole('article', { name: 'Old idea' })).toBeTruthy();
  });

  it('reorders within a column (position only) and rolls back when the server refuses', async () => {
    signedInAs('member');
    const first = task({ title: 'First', position: 1 });
    const second = task({ title: 'Second', position: 2 });
    const third = task({ title: 'Third', position: 3 });
    const store = { todo: [first, second, third], in_progress: [], blocked: [], done: [], cancelled: [] } as Record<TaskStatus, Task[]>;
    let answered = false;
    const patches = serveBoard(store, async () => {
      await delay(300);
      answered = true;
      return problem(422, 'VALIDATION_ERROR', 'Invalid input', 'The task cannot move there.');
    });
    renderApp('/ops/board');
    const card = await draggableCard('Third');

    // Alt+Up moves it one place up: between First and Second.
    fireEvent.keyDown(card, { key: 'ArrowUp', altKey: true });
    await waitFor(() => expect(titlesIn('To do tasks')).toEqual(['First', 'Third', 'Second']));
    expect(answered).toBe(false);
    await waitFor(() => expect(patches).toEqual([{ id: third.id, body: { position: 1.5 } }]));

    expect(await screen.findByText('The task cannot move there.')).toBeTruthy();
    await waitFor(() => expect(titlesIn('To do tasks')).toEqual(['First', 'Second', 'Third']));
  });

  it('drops onto the upper half of a card to go before it', async () => {
    signedInAs('member');
    const a = task({ title: 'A', position: 1 });
    const b = task({ title: 'B', position: 2 });
    const store = { todo: [a, b], in_progress: [], blocked: [], done: [], cancelled: [] } as Record<TaskStatus, Task[]>;
    const patches = serveBoard(store, (id, body) => HttpResponse.json({ ...b, ...body, id }));
    renderApp('/ops/board');
    const cardB = await draggableCard('B');
    const cardA = screen.getByRole('article', { name: 'A' });
    // happy-dom lays nothing out: give card A a box so the pointer can be above its middle.
    cardA.getBoundingClientRect = () => ({ top: 100, height: 40, bottom: 140, left: 0, right: 200, width: 200, x: 0, y: 100, toJSON: () => ({}) });
    drag(cardB, screen.getByRole('list', { name: 'To do tasks' }), 105);
    await waitFor(() => expect(patches).toEqual([{ id: b.id, body: { position: 0 } }]));
  });
});
