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
    description: 'An AI assistant that answers questions about your operations and drafts routine work from your own data.',
    icon: IconSparkles,
  },
  {
    key: 'mini-foundry',
    path: '/foundry',
    label: 'Mini Foundry',
    description: 'Combine your business data into one model you can explore, query and build small apps on.',
    icon: IconCube,
  },
  {
    key: 'cybersecurity-scanner',
    path: '/security',
    label: 'Cybersecurity Scanner',
    description: 'Scan your domains and services for common weaknesses and get prioritized fixes.',
    icon: IconShield,
  },
  {
    key: 'marketplace-intel',
    path: '/marketplace',
    label: 'Marketplace Intel',
    description: 'Track products, prices and competitors across the marketplaces you sell on.',
    icon: IconChart,
  },
  {
    key: null,
    path: '/connectors',
    label: 'Connectors',
    description: 'Connect the tools your business already uses so every module can work with your data.',
    icon: IconPlug,
  },
];

export const MODULE_KEYS: ModuleKey[] = MODULES.flatMap((m) => (m.key ? [m.key] : []));

/** Modules visible for an organization (all of them until the organization is known). */
export function enabledModules(enabled: readonly ModuleKey[] | undefined): ModuleInfo[] {
  if (!enabled) return MODULES;
  return MODULES.filter((m) => m.key === null || enabled.includes(m.key));
}
