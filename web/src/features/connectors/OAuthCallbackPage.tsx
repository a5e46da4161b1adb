import { useEffect, useMemo, useRef } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { Button, Card, PageHeader, ProblemAlert, Spinner, SuccessAlert } from '../../components';
import { useCompleteOAuth } from './connectionsHooks';
import { announceConnection } from './oauthPopup';

/**
 * /connectors/oauth/:type/callback — where the provider sends the user back. Everything on the
 * redirect (code, state and the provider's extras: shop, hmac, timestamp, host, realmId,
 * accounts-server…) goes to the API as is; the server checks it. Then the opener is told, or the
 * page goes back to /connectors when there is none.
 */
export function OAuthCallbackPage() {
  const { type = '' } = useParams();
  const [params] = useSearchParams();
  const redirect = useMemo(() => Object.fromEntries(params.entries()), [params]);
  const refusal = providerRefusal(redirect);
  const complete = useCompleteOAuth(type);
  const { mutate } = complete;
  const navigate = useNavigate();
  // The state is one-time: a second POST (a re-render, React's development double effects) would be refused.
  const sent = useRef(false);

  useEffect(() => {
    if (sent.current || refusal) return;
    sent.current = true;
    mutate(redirect);
  }, [mutate, redirect, refusal]);

  const connectionId = complete.data?.connection.id;
  useEffect(() => {
    if (connectionId && !announceConnection(connectionId)) void navigate('/connectors', { replace: true });
  }, [connectionId, navigate]);

  return (
    <>
      <PageHeader title="Connecting an app" />
      <Card className="max-w-xl">
        {refusal ? (
          <Refused reason={refusal} />
        ) : complete.isError ? (
          <div className="space-y-4">
            <ProblemAlert error={complete.error} title="The connection could not be finished" />
            <BackActions />
          </div>
        ) : complete.isSuccess ? (
          <div className="space-y-4">
            <SuccessAlert>Connected {complete.data.connection.name}. The first sync has started.</SuccessAlert>
            <BackActions />
          </div>
        ) : (
          <p role="status" className="flex items-center gap-3 py-2 text-sm text-slate-600">
            <Spinner size="sm" decorative />
            Finishing the connection…
          </p>
        )}
      </Card>
    </>
  );
}

/** The provider sent the user back without a grant (they declined), or the redirect is incomplete. */
function providerRefusal(redirect: Record<string, string>): string | null {
  if (redirect.error) return redirect.error_description || redirect.error;
  if (!redirect.code || !redirect.state) return 'The provider did not send back an authorization code.';
  return null;
}

function Refused({ reason }: { reason: string }) {
  return (
    <div className="space-y-4">
      <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
        <p className="font-semibold">Access was not granted</p>
        <p className="mt-0.5">{reason}</p>
      </div>
      <BackActions />
    </div>
  );
}

function BackActions() {
  const inPopup = Boolean(window.opener);
  return (
    <div className="flex gap-2">
      {inPopup ? (
        <Button variant="secondary" onClick={() => window.close()}>
          Close this window
        </Button>
      ) : (
        <Link to="/connectors" className="text-sm font-medium text-brand-700 hover:underline">
          Back to Connectors
        </Link>
      )}
    </div>
  );
}
