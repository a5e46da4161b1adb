import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/problem';
import type { Organization } from '../../api/types';
import { useSession, useTenantKey } from '../auth/session';

export function useOrganization() {
  const key = useTenantKey();
  const { status } = useSession();
  return useQuery<Organization, ApiError>({
    queryKey: [...key, 'organization'],
    queryFn: () => unwrap(api.GET('/api/organization')),
    enabled: status === 'authenticated',
  });
}
