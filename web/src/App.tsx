import { useEffect } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes } from 'react-router';
import { QueryClientProvider, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { session } from './api/auth';
import { AcceptInvitationPage } from './features/auth/AcceptInvitationPage';
import { LoginPage } from './features/auth/LoginPage';
import { RegisterPage } from './features/auth/RegisterPage';
import { ConnectorsPage } from './features/connectors/ConnectorsPage';
import { OAuthCallbackPage } from './features/connectors/OAuthCallbackPage';
import { DocumentPage } from './features/documents/DocumentPage';
import { DocumentsPage } from './features/documents/DocumentsPage';
import {
  AskPage,
  DashboardBuilderRoute,
  DashboardRoute,
  DashboardsPage,
  DataSourcesPage,
  FoundryHome,
  FoundryPage,
  InsightsPage,
  MetricsPage,
} from './features/foundry/routes';
import { MarketplacePage } from './features/marketplace/MarketplacePage';
import { OpsPage } from './features/ops/OpsPage';
import { SecurityPage } from './features/security/SecurityPage';
import { AiSettings } from './features/settings/ai/AiSettings';
import { ApiKeysSettings } from './features/settings/ApiKeysSettings';
import { AuditLogSettings } from './features/settings/AuditLogSettings';
import { MfaSettings } from './features/settings/MfaSettings';
import { NotificationSettings } from './features/notifications/NotificationSettings';
import { OrganizationSettings } from './features/settings/OrganizationSettings';
import { AdminOnly, SettingsIndex, SettingsLayout } from './features/settings/SettingsLayout';
import { TeamSettings } from './features/settings/TeamSettings';
import { UsageSettings } from './features/settings/UsageSettings';
import { WebhooksSettings } from './features/settings/webhooks/WebhooksSettings';
import { AppShell } from './features/shell/AppShell';
import { HomePage } from './features/shell/HomePage';
import { NotFoundPage } from './features/shell/NotFoundPage';
import { ProtectedRoute, PublicOnlyRoute } from './features/shell/ProtectedRoute';

/**
 * When a refresh fails mid-session, drop cached data; ProtectedRoute then sends
 * the user to /login (remembering where they were).
 */
function SessionWatcher() {
  const queryClient = useQueryClient();
  useEffect(() => session.onExpired(() => queryClient.clear()), [queryClient]);
  return <Outlet />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<SessionWatcher />}>
        <Route element={<PublicOnlyRoute />}>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/register" element={<RegisterPage />} />
        </Route>
        <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
        <Route element={<ProtectedRoute />}>
          <Route element={<AppShell />}>
            <Route index element={<HomePage />} />
            <Route path="ops/*" element={<OpsPage />} />
            <Route path="foundry" element={<FoundryPage />}>
              <Route index element={<FoundryHome />} />
              <Route path="dashboards" element={<DashboardsPage />} />
              <Route path="dashboards/:id" element={<DashboardRoute />} />
              <Route path="dashboards/:id/edit" element={<DashboardBuilderRoute />} />
              <Route path="ask" element={<AskPage />} />
              <Route path="insights" element={<InsightsPage />} />
              <Route path="metrics" element={<MetricsPage />} />
              <Route path="sources" element={<DataSourcesPage />} />
            </Route>
            <Route path="security/*" element={<SecurityPage />} />
            <Route path="marketplace/*" element={<MarketplacePage />} />
            <Route path="connectors" element={<ConnectorsPage />} />
            <Route path="connectors/oauth/:type/callback" element={<OAuthCallbackPage />} />
            <Route path="documents" element={<DocumentsPage />} />
            <Route path="documents/:id" element={<DocumentPage />} />
            <Route path="settings" element={<SettingsLayout />}>
              <Route index element={<SettingsIndex />} />
              <Route path="organization" element={<OrganizationSettings />} />
              <Route path="ai" element={<AiSettings />} />
              <Route path="usage" element={<UsageSettings />} />
              <Route path="team" element={<AdminOnly><TeamSettings /></AdminOnly>} />
              <Route path="api-keys" element={<AdminOnly><ApiKeysSettings /></AdminOnly>} />
              <Route path="security" element={<MfaSettings />} />
              <Route path="notifications" element={<NotificationSettings />} />
              <Route path="audit-log" element={<AdminOnly><AuditLogSettings /></AdminOnly>} />
              <Route path="webhooks" element={<AdminOnly><WebhooksSettings /></AdminOnly>} />
              <Route path="*" element={<Navigate to="/settings" replace />} />
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Route>
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
