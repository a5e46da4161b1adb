import { Navigate, Outlet, useLocation } from 'react-router';
import { PageSpinner } from '../../components';
import { useSession } from '../auth/session';

/** Renders children only with a session; otherwise sends the user to /login. */
export function ProtectedRoute() {
  const { status, expired } = useSession();
  const location = useLocation();
  if (status === 'unknown') return <PageSpinner label="Restoring your session" />;
  if (status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search, expired: expired === true }} />;
  }
  return <Outlet />;
}

/** Login/register: bounce signed-in users into the app. */
export function PublicOnlyRoute() {
  const { status } = useSession();
  if (status === 'unknown') return <PageSpinner label="Restoring your session" />;
  if (status === 'authenticated') return <Navigate to="/" replace />;
  return <Outlet />;
}
