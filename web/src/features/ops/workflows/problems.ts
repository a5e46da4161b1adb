/** Which steps a save's problem is about, so the builder can point at them. */
import { ApiError } from '../../../api/problem';
import type { DraftStep } from './definition';

const NAMED = /step '([a-z][a-z0-9_]*)'/g;

/** step id → the message about it, from the problem's detail and its field errors. */
export function stepProblems(error: unknown, steps: DraftStep[]): Map<string, string> {
  const found = new Map<string, string>();
  if (!(error instanceof ApiError)) return found;
  const messages = [error.problem.detail ?? '', ...(error.problem.errors ?? []).map((e) => e.msg)];
  for (const message of messages) {
    for (const part of message.split('; ')) {
      for (const match of part.matchAll(NAMED)) {
        const id = match[1]!;
        if (!found.has(id)) found.set(id, part.replace(/^The workflow is not valid: /, '').replace(/^Value error, /, ''));
      }
    }
  }
  // A request error names the top-level step by position: ["body", "steps", 2, ...].
  for (const e of error.problem.errors ?? []) {
    const at = e.loc.indexOf('steps');
    const index = at >= 0 ? e.loc[at + 1] : undefined;
    const step = typeof index === 'number' ? steps[index] : undefined;
    if (step && !found.has(step.id)) found.set(step.id, e.msg.replace(/^Value error, /, ''));
  }
  return found;
}
