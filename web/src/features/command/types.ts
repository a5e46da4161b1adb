/** AI query API aliases derived from the generated OpenAPI paths (same pattern as src/api/types.ts). */
import type { paths } from '../../api/schema';
import type { Body, Ok } from '../../api/types';

export type QueryIn = Body<paths['/api/query/stream']['post']>;
export type QueryAnswer = Ok<paths['/api/query']['post']>;
export type ProviderId = QueryAnswer['provider'];
export type ModuleName = NonNullable<QueryIn['module']>;
export type ToolCallOut = QueryAnswer['tool_calls'][number];
export type ToolStatus = ToolCallOut['status'];
export type SourceOut = QueryAnswer['sources'][number];
export type SuggestedAction = QueryAnswer['suggested_actions'][number];
export type ConversationPage = Ok<paths['/api/conversations']['get']>;
export type ConversationOut = ConversationPage['items'][number];
export type ConversationDetail = Ok<paths['/api/conversations/{conversation_id}']['get']>;
export type MessageOut = ConversationDetail['messages'][number];

/**
 * What the stream endpoint sends before `done` / `error`, by event name (Server-Sent Events are not
 * described by the OpenAPI document: `start` {conversation_id, provider, model}, `delta` {text},
 * `tool_call` (a ToolCallOut), `fallback` {from, to, cause}).
 */
export type StreamEvent =
  | { type: 'start'; conversation_id: string; provider: ProviderId; model: string }
  | { type: 'delta'; text: string }
  | { type: 'tool_call'; call: ToolCallOut }
  | { type: 'fallback'; from: ProviderId; to: ProviderId; cause: string };
