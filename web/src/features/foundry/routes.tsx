/**
 * Mini Foundry's route elements. Its charts, grid and map weigh more than the rest of the app
 * together, so they load on the first visit to /foundry rather than with the app shell.
 */
import { lazyPage } from '../../components';

const load = () => import('./pages');
const page = (name: keyof Awaited<ReturnType<typeof load>> & string) => lazyPage(load, name, 'Loading Mini Foundry');

export const FoundryPage = page('FoundryPage');
export const FoundryHome = page('FoundryHome');
export const DashboardsPage = page('DashboardsPage');
export const DashboardRoute = page('DashboardRoute');
export const DashboardBuilderRoute = page('DashboardBuilderRoute');
export const AskPage = page('AskPage');
export const InsightsPage = page('InsightsPage');
export const DataSourcesPage = page('DataSourcesPage');
export const MetricsPage = page('MetricsPage');
