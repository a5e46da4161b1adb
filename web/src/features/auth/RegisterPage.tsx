import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { publicApi, unwrap } from '../../api/client';
import { ApiError, fieldErrors } from '../../api/problem';
import { Button, ProblemAlert, SelectField, TextField } from '../../components';
import { AuthLayout } from './AuthLayout';
import { signIn } from './session';

export const COMPANY_SIZES = [
  { value: '', label: 'Select…' },
  { value: '1-10', label: '1–10 people' },
  { value: '11-50', label: '11–50 people' },
  { value: '51-200', label: '51–200 people' },
  { value: '201-500', label: '201–500 people' },
  { value: '500+', label: 'More than 500' },
] as const;

export function RegisterPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    full_name: '',
    email: '',
    password: '',
    company_name: '',
    industry: '',
    company_size: '',
  });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  const register = useMutation({
    mutationFn: () =>
      unwrap(
        publicApi.POST('/api/auth/register', {
          body: {
            full_name: form.full_name.trim(),
            email: form.email.trim(),
            password: form.password,
            company_name: form.company_name.trim(),
            industry: form.industry.trim() || null,
            company_size: form.company_size || null,
          },
        }),
      ),
    onSuccess: (tokens) => {
      signIn(tokens, queryClient);
      navigate('/', { replace: true });
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };

  const errors = fieldErrors(register.error);
  // Email already registered: 409 (the contract says code CONFLICT; the backend sends EMAIL_TAKEN).
  if (register.error instanceof ApiError && register.error.status === 409 && !errors.email) {
    errors.email = register.error.problem.detail ?? 'An account with this email already exists. Sign in instead.';
  }

  return (
    <AuthLayout
      title="Create your company workspace"
      subtitle="You'll be the admin of your company. Invite your team afterwards."
      footer={
        <>
          Already have an account?{' '}
          <Link to="/login" className="font-medium text-brand-600 hover:text-brand-700">
            Sign in
          </Link>
        </>
      }
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        <ProblemAlert error={register.error} />
        <TextField label="Full name" name="full_name" autoComplete="name" required value={form.full_name} onChange={set('full_name')} error={errors.full_name} />
        <TextField label="Work email" type="email" name="email" autoComplete="email" required value={form.email} onChange={set('email')} error={errors.email} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={form.password}
          onChange={set('password')}
          hint="At least 10 characters. Common passwords are rejected."
          error={errors.password}
        />
        <TextField label="Company name" name="company_name" autoComplete="organization" required value={form.company_name} onChange={set('company_name')} error={errors.company_name} />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Industry (optional)" name="industry" value={form.industry} onChange={set('industry')} error={errors.industry} />
          <SelectField label="Company size (optional)" name="company_size" value={form.company_size} onChange={set('company_size')} options={COMPANY_SIZES} error={errors.company_size} />
        </div>
        <Button type="submit" className="w-full" loading={register.isPending}>
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
