import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { publicApi, unwrap } from '../../api/client';
import { ApiError, fieldErrors } from '../../api/problem';
import { Button, ProblemAlert, TextField } from '../../components';
import { AuthLayout } from './AuthLayout';
import { signIn } from './session';

interface LoginVars {
  email: string;
  password: string;
  totp_code?: string;
}

export function LoginPage() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const from = (location.state as { from?: string; expired?: boolean } | null)?.from ?? '/';
  const expired = (location.state as { expired?: boolean } | null)?.expired === true;

  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [mfaStep, setMfaStep] = useState(false);
  const [codeError, setCodeError] = useState<string | null>(null);

  const login = useMutation({
    mutationFn: (vars: LoginVars) => unwrap(publicApi.POST('/api/auth/login', { body: vars })),
    onSuccess: (tokens) => {
      signIn(tokens, queryClient);
      navigate(from.startsWith('/') && !from.startsWith('//') ? from : '/', { replace: true });
    },
    onError: (error, vars) => {
      if (error instanceof ApiError && error.code === 'AUTH_MFA_REQUIRED') {
        if (vars.totp_code) setCodeError('That code was not accepted. Check your authenticator app and try again.');
        setMfaStep(true);
      }
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCodeError(null);
    const vars: LoginVars = { email: email.trim(), password };
    if (mfaStep) vars.totp_code = code.replace(/\s+/g, '');
    login.mutate(vars);
  };

  const mfaPrompt = login.error instanceof ApiError && login.error.code === 'AUTH_MFA_REQUIRED';
  const errors = fieldErrors(login.error);
  // The MFA challenge is a step, not an error — don't show it as a red alert.
  const alertError = mfaPrompt ? null : login.error;

  return (
    <AuthLayout
      title={mfaStep ? 'Two-factor authentication' : 'Sign in to Binelek'}
      subtitle={
        mfaStep
          ? 'Enter the 6-digit code from your authenticator app, or one of your backup codes.'
          : 'Welcome back. Sign in to your company workspace.'
      }
      footer={
        <>
          New to Binelek?{' '}
          <Link to="/register" className="font-medium text-brand-600 hover:text-brand-700">
            Create a company account
          </Link>
        </>
      }
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        {expired && !login.isError && !mfaStep && (
          <p role="status" className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-800 ring-1 ring-amber-200">
            Your session has ended. Please sign in again.
          </p>
        )}
        <ProblemAlert error={alertError} />
        {!mfaStep ? (
          <>
            <TextField
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              error={errors.email}
            />
            <TextField
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={errors.password}
            />
          </>
        ) : (
          <TextField
            label="Authentication code"
            name="totp_code"
            autoComplete="one-time-code"
            autoFocus
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
            hint="6-digit code, or a backup code"
            error={codeError ?? errors.totp_code}
          />
        )}
        <Button type="submit" className="w-full" loading={login.isPending}>
          {mfaStep ? 'Verify and sign in' : 'Sign in'}
        </Button>
        {mfaStep && (
          <button
            type="button"
            className="w-full text-center text-sm text-slate-600 hover:text-slate-900"
            onClick={() => {
              setMfaStep(false);
              setCode('');
              setCodeError(null);
              login.reset();
            }}
          >
            Use a different account
          </button>
        )}
      </form>
    </AuthLayout>
  );
}
