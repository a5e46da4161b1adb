import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { publicApi, unwrap } from '../../api/client';
import { fieldErrors, type ApiError } from '../../api/problem';
import { Button, PageSpinner, ProblemAlert, RoleBadge, TextField } from '../../components';
import { formatDateTime } from '../../lib/format';
import { AuthLayout } from './AuthLayout';
import { signIn } from './session';

export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [fullName, setFullName] = useState('');
  const [password, setPassword] = useState('');

  const preview = useQuery<Awaited<ReturnType<typeof loadPreview>>, ApiError>({
    queryKey: ['invitation', token],
    queryFn: () => loadPreview(token),
    enabled: token !== '',
    retry: false,
  });

  const accept = useMutation({
    mutationFn: () => {
      const existing = preview.data?.existing_user ?? false;
      return unwrap(
        publicApi.POST('/api/auth/accept-invitation', {
          body: existing ? { token, password } : { token, password, full_name: fullName.trim() },
        }),
      );
    },
    onSuccess: (tokens) => {
      signIn(tokens, queryClient);
      navigate('/', { replace: true });
    },
  });

  const footer = (
    <Link to="/login" className="font-medium text-brand-600 hover:text-brand-700">
      Back to sign in
    </Link>
  );

  if (!token) {
    return (
      <AuthLayout title="Invitation link is incomplete" footer={footer}>
        <p className="text-sm text-slate-600">This link has no invitation token. Ask your admin to send the invitation link again.</p>
      </AuthLayout>
    );
  }
  if (preview.isPending) {
    return (
      <AuthLayout title="Checking your invitation…">
        <PageSpinner label="Loading invitation" />
      </AuthLayout>
    );
  }
  if (preview.isError) {
    return (
      <AuthLayout title="This invitation can't be used" footer={footer}>
        <ProblemAlert error={preview.error} />
        <p className="mt-4 text-sm text-slate-600">Invitations expire and can only be used once. Ask an admin of the company to invite you again.</p>
      </AuthLayout>
    );
  }

  const inv = preview.data;
  const errors = fieldErrors(accept.error);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    accept.mutate();
  };

  return (
    <AuthLayout
      title={`Join ${inv.tenant_name}`}
      subtitle={
        <>
          You've been invited as <RoleBadge role={inv.role} />. The invitation expires {formatDateTime(inv.expires_at)}.
        </>
      }
      footer={footer}
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        <ProblemAlert error={accept.error} />
        <TextField label="Email" type="email" value={inv.email} readOnly autoComplete="username" />
        {inv.existing_user ? (
          <p className="text-sm text-slate-600">You already have a Binelek account. Confirm your password to add {inv.tenant_name} to your companies.</p>
        ) : (
          <TextField label="Full name" name="full_name" autoComplete="name" required value={fullName} onChange={(e) => setFullName(e.target.value)} error={errors.full_name} />
        )}
        <TextField
          label={inv.existing_user ? 'Your password' : 'Choose a password'}
          type="password"
          name="password"
          autoComplete={inv.existing_user ? 'current-password' : 'new-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={inv.existing_user ? undefined : 'At least 10 characters. Common passwords are rejected.'}
          error={errors.password}
        />
        <Button type="submit" className="w-full" loading={accept.isPending}>
          Accept invitation
        </Button>
      </form>
    </AuthLayout>
  );
}

function loadPreview(token: string) {
  return unwrap(publicApi.GET('/api/auth/invitations/{token}', { params: { path: { token } } }));
}
