/**
 * Mini Foundry's route elements. Its charts, grid and map weigh more than the rest of the app
 * together, so they load on the first visit to /foundry rather than with the app shell.
 */
import { lazy, Suspense, type ComponentType } from 'react';
import { PageSpinner } from '../../components';

type Pages = typeof import('./pages');

const load = () => import('./pages');

function lazyPage(name: keyof Pages) {
  const Page = lazy(async () => ({ default: (await load())[name] as ComponentType }));
  function LazyPage() {
    return (
      <Suspense fallback={<PageSpinner label="Loading Mini Foundry" />}>
        <Page />
      </Suspense>
    );
  }
  LazyPage.displayName = `Lazy(${name})`;
  return LazyPage;
}

export const FoundryPage = lazyPage('FoundryPage');
export const FoundryHome = lazyPage('FoundryHome');
export const DashboardsPage = lazyPage('DashboardsPage');
export const DashboardRoute = lazyPage('DashboardRoute');
export const DashboardBuilderRoute = lazyPage('DashboardBuilderRoute');
export const AskPage = lazyPage('AskPage');
export const InsightsPage = lazyPage('InsightsPage');
export const DataSourcesPage = lazyPage('DataSourcesPage');
export const MetricsPage = lazyPage('MetricsPage');
