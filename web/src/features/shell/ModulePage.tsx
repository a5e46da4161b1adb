import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Card, EmptyState, PageHeader } from '../../components';
import { IconInbox } from '../../components/Icons';
import { useRole } from '../auth/session';
import { MODULES } from './modules';
import { useOrganization } from './useOrganization';

interface ModulePageProps {
  path: string;
  emptyTitle: string;
  emptyDescription: ReactNode;
}

/** Placeholder page for a module: title, what it will do, and an honest empty state. */
export function ModulePage({ path, emptyTitle, emptyDescription }: ModulePageProps) {
  const info = MODULES.find((m) => m.path === path)!;
  const org = useOrganization();
  const role = useRole();
  const disabled = info.key !== null && org.data !== undefined && !(org.data.modules as readonly string[]).includes(info.key);

  return (
    <>
      <PageHeader title={info.label} description={info.description} />
      <Card>
        {disabled ? (
          <EmptyState
            icon={<info.icon className="h-6 w-6" />}
            title={`${info.label} is turned off for ${org.data?.name ?? 'this company'}`}
            description={
              role === 'admin' ? (
                <>
                  Turn it on in{' '}
                  <Link to="/settings/organization" className="font-medium text-brand-600 hover:text-brand-700">
                    Settings → Organization
                  </Link>
                  .
                </>
              ) : (
                'Ask an admin of your company to turn it on.'
              )
            }
          />
        ) : (
          <EmptyState icon={<IconInbox className="h-6 w-6" />} title={emptyTitle} description={emptyDescription} />
        )}
      </Card>
    </>
  );
}
