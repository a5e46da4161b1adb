/**
 * The Cybersecurity Scanner's routes under /security/*. Each area loads on its first visit, in its own
 * chunk: the overview (with its charts), issues, assets, scans, devices, compliance and alerts.
 */
import { Route, Routes } from 'react-router';
import { lazyPage } from '../../components';
import { NotFoundPage } from '../shell/NotFoundPage';

const loadOverview = () => import('./overview/OverviewPage');
const loadIssues = () => import('./issues');
const loadAssets = () => import('./assets/AssetsPage');
const loadScans = () => import('./scans');
const loadDevices = () => import('./devices');
const loadCompliance = () => import('./compliance');
const loadAlerts = () => import('./alerts/AlertsPage');

export const OverviewPage = lazyPage(loadOverview, 'OverviewPage', 'Loading the security overview');
export const IssuesPage = lazyPage(loadIssues, 'IssuesPage', 'Loading issues');
export const IssueDetailPage = lazyPage(loadIssues, 'IssueDetailPage', 'Loading the issue');
export const AssetsPage = lazyPage(loadAssets, 'AssetsPage', 'Loading assets');
export const ScansPage = lazyPage(loadScans, 'ScansPage', 'Loading scans');
export const ScanDetailPage = lazyPage(loadScans, 'ScanDetailPage', 'Loading the scan');
export const DevicesPage = lazyPage(loadDevices, 'DevicesPage', 'Loading devices');
export const DeviceDetailPage = lazyPage(loadDevices, 'DeviceDetailPage', 'Loading the device');
export const CompliancePage = lazyPage(loadCompliance, 'CompliancePage', 'Loading compliance');
export const FrameworkPage = lazyPage(loadCompliance, 'FrameworkPage', 'Loading the framework');
export const AlertsPage = lazyPage(loadAlerts, 'AlertsPage', 'Loading alerts');

/** The routes below /security (mounted at `security/*`); /security itself is the overview. */
export function SecurityRoutes() {
  return (
    <Routes>
      <Route index element={<OverviewPage />} />
      <Route path="issues" element={<IssuesPage />} />
      <Route path="issues/:issueId" element={<IssueDetailPage />} />
      <Route path="assets" element={<AssetsPage />} />
      <Route path="scans" element={<ScansPage />} />
      <Route path="scans/:scanId" element={<ScanDetailPage />} />
      <Route path="devices" element={<DevicesPage />} />
      <Route path="devices/:deviceId" element={<DeviceDetailPage />} />
      <Route path="compliance" element={<CompliancePage />} />
      <Route path="compliance/:framework" element={<FrameworkPage />} />
      <Route path="alerts" element={<AlertsPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
