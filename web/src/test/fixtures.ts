import type { Me, Organization } from '../api/types';

export const me: Me = {
  id: 'u1',
  email: 'ada@example.com',
  full_name: 'Ada Lovelace',
  mfa_enabled: false,
  current_tenant: { id: 't1', name: 'Acme Ltd', role: 'admin' },
  tenants: [
    { id: 't1', name: 'Acme Ltd', role: 'admin' },
    { id: 't2', name: 'Globex', role: 'member' },
  ],
};

export const organization: Organization = {
  id: 't1',
  name: 'Acme Ltd',
  industry: 'Retail',
  size: '11-50',
  address: null,
  plan: 'free',
  modules: ['ops-copilot', 'mini-foundry', 'cybersecurity-scanner', 'marketplace-intel'],
  require_mfa_for_admins: false,
};
