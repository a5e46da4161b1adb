import type { ComponentType, SVGProps } from 'react';
import type { ModuleKey } from '../../api/types';
import { IconChart, IconCube, IconPlug, IconShield, IconSparkles } from '../../components/Icons';

export interface ModuleInfo {
  /** Organization module key (null = always available). */
  key: ModuleKey | null;
  path: string;
  label: string;
  description: string;
  icon: ComponentType<SVGProps<SVGSVGElement>>;
}

export const MODULES: ModuleInfo[] = [
  {
    key: 'ops-copilot',
    path: '/ops',
    label: 'Ops Copilot',
    description: 'Your team’s tasks with AI suggestions, priority scheduling and workflow automations that do the repetitive work.',
    icon: IconSparkles,
  },
  {
    key: 'mini-foundry',
    path: '/foundry',
    label: 'Mini Foundry',
    description: 'Dashboards, metrics and plain-language questions over the data your connected tools bring in.',
    icon: IconCube,
  },
  {
    key: 'cybersecurity-scanner',
    path: '/security',
    label: 'Cybersecurity Scanner',
    description: 'One security score for your website, e-mail domain, devices and accounts, with fixes and compliance evidence.',
    icon: IconShield,
  },
  {
    key: 'marketplace-intel',
    path: '/marketplace',
    label: 'Marketplace Intel',
    description: 'Watch competitors’ prices, see where you stand and discover competitors you didn’t know.',
    icon: IconChart,
  },
  {
    key: null,
    path: '/connectors',
    label: 'Connectors',
    description: 'Bring in Shopify, Stripe, Square, HubSpot, Zoho, QuickBooks, Xero, Gmail and Outlook data.',
    icon: IconPlug,
  },
];

export const MODULE_KEYS: ModuleKey[] = MODULES.flatMap((m) => (m.key ? [m.key] : []));

/** Modules visible for an organization (all of them until the organization is known). */
export function enabledModules(enabled: readonly ModuleKey[] | undefined): ModuleInfo[] {
  if (!enabled) return MODULES;
  return MODULES.filter((m) => m.key === null || enabled.includes(m.key));
}
