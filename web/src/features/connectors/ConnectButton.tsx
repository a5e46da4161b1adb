import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { ApiError } from '../../api/problem';
import { Button, ProblemAlert } from '../../components';
import { authorize, type AccountDetails, type CatalogueEntry } from './connectionsApi';
import { AccountDialog, KeyAlternative, KeyDialog } from './ConnectDialogs';
import { openPendingPopup, showAuthorization, useOpenPopup } from './oauthPopup';

export type ConnectMode = 'oauth' | 'key';

interface ConnectButtonProps {
  entry: CatalogueEntry;
  mode: ConnectMode;
  label: string;
  variant?: 'primary' | 'secondary';
  /** The accessible name when the visible label alone does not say which app (e.g. "Reconnect"). */
  ariaLabel?: string;
}

/** Starts connecting `entry`: the OAuth popup (after the account details it needs) or the key form. */
export function ConnectButton({ entry, mode, label, variant = 'primary', ariaLabel }: ConnectButtonProps) {
  return mode === 'key' ? (
    <KeyConnect entry={entry} label={label} variant={variant} ariaLabel={ariaLabel} />
  ) : (
    <OAuthConnect entry={entry} label={label} variant={variant} ariaLabel={ariaLabel} />
  );
}

type FlowProps = Omit<ConnectButtonProps, 'mode'>;

function KeyConnect({ entry, label, variant, ariaLabel }: FlowProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant={variant} size="sm" aria-label={ariaLabel} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <KeyDialog entry={entry} open={open} onClose={() => setOpen(false)} onConnected={() => setOpen(false)} />
    </>
  );
}

interface AuthorizeRequest {
  account: AccountDetails;
  popup: Window | null;
}

function OAuthConnect({ entry, label, variant, ariaLabel }: FlowProps) {
  const [asking, setAsking] = useState(false);
  const [popup, setPopup] = useOpenPopup();
  const start = useMutation<Window | null, ApiError, AuthorizeRequest>({
    mutationFn: async ({ account, popup: pending }) => {
      const { authorization_url } = await authorize(entry.type, account);
      return showAuthorization(pending, authorization_url) ? pending : null;
    },
    onSuccess: (opened) => {
      setAsking(false);
      setPopup(opened);
    },
    // The empty popup opened for the click has nothing to show now.
    onError: (_error, { popup: pending }) => pending?.close(),
  });
  // Runs in the click (or submit) event: the popup must open before the authorize request is awaited.
  const begin = (account: AccountDetails) => start.mutate({ account, popup: openPendingPopup() });
  const click = () => {
    start.reset();
    if (entry.account_fields.length > 0) setAsking(true);
    else begin({});
  };
  return (
    <>
      <Button variant={variant} size="sm" aria-label={ariaLabel} loading={start.isPending && !asking} onClick={click}>
        {label}
      </Button>
      {popup && <p className="text-xs text-slate-500" role="status">Finish signing in to {entry.name} in the popup window.</p>}
      {!asking && <ProblemAlert error={start.error} className="w-full" />}
      {!asking && <KeyAlternative entry={entry} error={start.error} />}
      <AccountDialog
        entry={entry}
        open={asking}
        onClose={() => {
          setAsking(false);
          start.reset();
        }}
        onSubmit={begin}
        busy={start.isPending}
        error={start.error}
      />
    </>
  );
}
