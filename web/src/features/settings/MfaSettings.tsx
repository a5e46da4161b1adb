import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { fieldErrors } from '../../api/problem';
import type { MfaEnroll } from '../../api/types';
import { Badge, Button, Card, CopyButton, CopyField, PageSpinner, ProblemAlert, TextField } from '../../components';
import { useMe, useTenantKey } from '../auth/session';

export function MfaSettings() {
  const me = useMe();
  if (me.isPending) return <PageSpinner />;
  if (me.isError) return <ProblemAlert error={me.error} />;
  return me.data.mfa_enabled ? <MfaEnabled /> : <MfaSetup />;
}

function useRefreshMe() {
  const queryClient = useQueryClient();
  const key = useTenantKey();
  return () => queryClient.invalidateQueries({ queryKey: [...key, 'me'] });
}

function QrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    import('qrcode')
      .then((QRCode) => QRCode.toDataURL(uri, { margin: 1, width: 192, errorCorrectionLevel: 'M' }))
      .then((url) => !cancelled && setSrc(url))
      .catch(() => !cancelled && setSrc(null));
    return () => {
      cancelled = true;
    };
  }, [uri]);
  if (!src) return <div className="h-48 w-48 rounded-lg bg-slate-100" aria-hidden="true" />;
  return <img src={src} width={192} height={192} alt="QR code for your authenticator app" className="rounded-lg ring-1 ring-slate-200" />;
}

function MfaSetup() {
  const refreshMe = useRefreshMe();
  const [enrollment, setEnrollment] = useState<MfaEnroll | null>(null);
  const [code, setCode] = useState('');
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null);

  const enroll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/auth/mfa/enroll')),
    onSuccess: setEnrollment,
  });
  const verify = useMutation({
    mutationFn: () => unwrap(api.POST('/api/auth/mfa/verify', { body: { code: code.replace(/\s+/g, '') } })),
    onSuccess: (res) => setBackupCodes(res.backup_codes),
  });

  if (backupCodes) {
    return (
      <Card title="Two-factor authentication is on" actions={<Badge tone="success">Enabled</Badge>}>
        <div className="space-y-4">
          <p className="text-sm text-slate-600">
            Save these backup codes somewhere safe. Each code signs you in once if you lose your authenticator. <strong>They won't be shown again.</strong>
          </p>
          <ul aria-label="Backup codes" className="grid grid-cols-2 gap-2 rounded-lg bg-slate-50 p-4 font-mono text-sm sm:grid-cols-5">
            {backupCodes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
          <div className="flex gap-2">
            <CopyButton value={backupCodes.join('\n')} label="Copy codes" />
            <Button onClick={() => void refreshMe()}>I've saved my codes</Button>
          </div>
        </div>
      </Card>
    );
  }

  const errors = fieldErrors(verify.error);
  const onVerify = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate();
  };

  return (
    <Card title="Two-factor authentication" description="Protect your account with a time-based code from an authenticator app." actions={<Badge>Off</Badge>}>
      {!enrollment ? (
        <div className="space-y-4">
          <ProblemAlert error={enroll.error} />
          <p className="text-sm text-slate-600">You'll need an authenticator app such as Aegis, Google Authenticator, 1Password or Bitwarden.</p>
          <Button onClick={() => enroll.mutate()} loading={enroll.isPending}>
            Set up two-factor authentication
          </Button>
        </div>
      ) : (
        <div className="space-y-5">
          <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-600">
            <li>Scan the QR code with your authenticator app, or enter the secret manually.</li>
            <li>Enter the 6-digit code the app shows to finish.</li>
          </ol>
          <div className="flex flex-col gap-5 sm:flex-row sm:items-start">
            <QrCode uri={enrollment.otpauth_uri} />
            <div className="min-w-0 flex-1 space-y-3">
              <CopyField label="Secret key" value={enrollment.secret} />
              <CopyField label="Setup URI (otpauth)" value={enrollment.otpauth_uri} />
            </div>
          </div>
          <form className="space-y-4" onSubmit={onVerify} noValidate>
            <ProblemAlert error={verify.error} />
            <TextField
              label="Verification code"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={errors.code}
              fieldClassName="max-w-xs"
            />
            <div className="flex gap-2">
              <Button type="submit" loading={verify.isPending}>
                Verify and turn on
              </Button>
              <Button variant="secondary" onClick={() => { setEnrollment(null); setCode(''); verify.reset(); }}>
                Cancel
              </Button>
            </div>
          </form>
        </div>
      )}
    </Card>
  );
}

function MfaEnabled() {
  const refreshMe = useRefreshMe();
  const [code, setCode] = useState('');
  const disable = useMutation({
    mutationFn: () => unwrap(api.POST('/api/auth/mfa/disable', { body: { code: code.replace(/\s+/g, '') } })),
    onSuccess: () => {
      setCode('');
      void refreshMe();
    },
  });
  const errors = fieldErrors(disable.error);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    disable.mutate();
  };
  return (
    <Card title="Two-factor authentication" description="Your account asks for a code from your authenticator app when you sign in." actions={<Badge tone="success">Enabled</Badge>}>
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        <p className="text-sm text-slate-600">To turn it off, enter a current code from your app (or a backup code).</p>
        <ProblemAlert error={disable.error} />
        <TextField
          label="Authentication code"
          name="code"
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={errors.code}
          fieldClassName="max-w-xs"
        />
        <Button type="submit" variant="danger" loading={disable.isPending}>
          Turn off two-factor authentication
        </Button>
      </form>
    </Card>
  );
}
