/** Every Mini Foundry page, loaded as one chunk when a /foundry route is first opened (see routes.tsx). */
export { AskPage } from './ask/AskPage';
export { DashboardsPage } from './DashboardsPage';
export { DashboardBuilderRoute, DashboardRoute, FoundryHome, FoundryPage, InsightsPage } from './FoundryPage';
export { DataSourcesPage } from './sources/DataSourcesPage';
export { MetricsPage } from './metrics/MetricsPage';
