import { request } from '../api';
import type { QuestionIn, QuestionOut } from './types';

/** Answer a question in plain words: the answer, its chart, how it was read and the SQL that ran. */
export function askQuestion(question: string): Promise<QuestionOut> {
  // No time zone: the server reads "today" and "this month" in the tenant's zone, like its dashboards.
  const body: QuestionIn = { query: question };
  return request<QuestionOut>('POST', '/query', { body });
}
