/** AI settings aliases derived from the generated OpenAPI paths (same pattern as src/api/types.ts). */
import type { paths } from '../../../api/schema';
import type { Body, Ok } from '../../../api/types';

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
