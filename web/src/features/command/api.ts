import { api, unwrap } from '../../api/client';
import type { ConversationDetail, ConversationPage } from './types';

export const RECENT_CONVERSATIONS = 5;

export function fetchRecentConversations(limit = RECENT_CONVERSATIONS): Promise<ConversationPage> {
  return unwrap(api.GET('/api/conversations', { params: { query: { limit, offset: 0 } } }));
}

export function fetchConversation(id: string): Promise<ConversationDetail> {
  return unwrap(api.GET('/api/conversations/{conversation_id}', { params: { path: { conversation_id: id } } }));
}
