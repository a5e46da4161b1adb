/** AI settings aliases derived from the generated OpenAPI paths (same pattern as src/api/types.ts). */
import type { paths } from '../../../api/schema';

type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer R }
  ? Json<R[Extract<keyof R, 200 | 201>]>
  : never;
type Body<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type LlmProviderList = Ok<paths['/api/llm/providers']['get']>;
export type LlmProvider = LlmProviderList['items'][number];
export type ProviderId = LlmProvider['id'];
export type LlmApiKeyPage = Ok<paths['/api/llm/api-keys']['get']>;
export type LlmApiKey = LlmApiKeyPage['items'][number];
export type LlmApiKeyCreate = Body<paths['/api/llm/api-keys']['post']>;
export type KeyProviderId = LlmApiKeyCreate['provider'];
export type LlmSettings = Ok<paths['/api/llm/settings']['get']>;
export type LlmSettingsUpdate = Body<paths['/api/llm/settings']['put']>;
export type UsageReport = Ok<paths['/api/llm/usage']['get']>;
export type UsageDay = UsageReport['days'][number];
