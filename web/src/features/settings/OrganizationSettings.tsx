import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { fieldErrors } from '../../api/problem';
import type { ModuleKey, Organization } from '../../api/types';
import { Badge, Button, Card, Checkbox, Field, PageSpinner, ProblemAlert, SelectField, SuccessAlert, TextArea, TextField } from '../../components';
import { COMPANY_SIZES } from '../auth/RegisterPage';
import { useMe, useTenantKey } from '../auth/session';
import { MODULES } from '../shell/modules';
import { useOrganization } from '../shell/useOrganization';
import { OrganizationData } from './OrganizationData';

interface FormState {
  name: string;
  industry: string;
  size: string;
  address: string;
  modules: ModuleKey[];
  require_mfa_for_admins: boolean;
}

function toForm(org: Organization): FormState {
  return {
    name: org.name,
    industry: org.industry ?? '',
    size: org.size ?? '',
    address: org.address ?? '',
    modules: [...org.modules],
    require_mfa_for_admins: org.require_mfa_for_admins,
  };
}

export function OrganizationSettings() {
  const org = useOrganization();
  const me = useMe();
  if (org.isPending) return <PageSpinner label="Loading organization" />;
  if (org.isError) return <ProblemAlert error={org.error} title="Could not load the organization" />;
  const isAdmin = me.data?.current_tenant.role === 'admin';
  return (
    <div className="space-y-6">
      <OrganizationForm org={org.data} readOnly={!isAdmin} />
      {/* Outside the form: the deletion dialog's own form must not submit this one. */}
      {isAdmin && <OrganizationData organizationName={org.data.name} />}
    </div>
  );
}

function OrganizationForm({ org, readOnly }: { org: Organization; readOnly: boolean }) {
  const queryClient = useQueryClient();
  const key = useTenantKey();
  const [form, setForm] = useState<FormState>(() => toForm(org));
  useEffect(() => setForm(toForm(org)), [org]);

  const save = useMutation({
    mutationFn: (body: FormState) =>
      unwrap(
        api.PUT('/api/organization', {
          body: {
            name: body.name.trim(),
            industry: body.industry.trim() || null,
            size: body.size || null,
            address: body.address.trim() || null,
            modules: body.modules,
            require_mfa_for_admins: body.require_mfa_for_admins,
          },
        }),
      ),
    onSuccess: (updated) => {
      queryClient.setQueryData([...key, 'organization'], updated);
      void queryClient.invalidateQueries({ queryKey: [...key, 'me'] });
    },
  });

  const errors = fieldErrors(save.error);
  const toggleModule = (m: ModuleKey, on: boolean) =>
    setForm((f) => ({ ...f, modules: on ? [...f.modules.filter((x) => x !== m), m] : f.modules.filter((x) => x !== m) }));
  const sizeOptions = COMPANY_SIZES.some((s) => s.value === form.size) ? COMPANY_SIZES : [...COMPANY_SIZES, { value: form.size, label: form.size }];

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(form);
  };

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-6">
      <Card
        title="Organization"
        description={readOnly ? 'Only admins can change these settings.' : 'Your company details, shown to your team.'}
        actions={
          <span className="flex items-center gap-2 text-sm text-slate-500">
            Plan <Badge tone="brand">{org.plan}</Badge>
          </span>
        }
      >
        <fieldset disabled={readOnly} className="space-y-4">
          {save.isError && <ProblemAlert error={save.error} title="Could not save" />}
          {save.isSuccess && !save.isPending && <SuccessAlert>Organization settings saved.</SuccessAlert>}
          <TextField label="Company name" name="name" required disabled={readOnly} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={errors.name} />
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField label="Industry" name="industry" disabled={readOnly} value={form.industry} onChange={(e) => setForm({ ...form, industry: e.target.value })} error={errors.industry} />
            <SelectField label="Company size" name="size" disabled={readOnly} value={form.size} onChange={(e) => setForm({ ...form, size: e.target.value })} options={sizeOptions} error={errors.size} />
          </div>
          <Field label="Address" error={errors.address}>
            {(control) => <TextArea {...control} name="address" disabled={readOnly} rows={3} value={form.address} onChange={(e) => setForm({ ...form, address: e.target.value })} />}
          </Field>
        </fieldset>
      </Card>

      <Card title="Modules" description="Choose which modules your team sees. Hidden modules disappear from the navigation.">
        <fieldset disabled={readOnly} className="space-y-4">
          <legend className="sr-only">Enabled modules</legend>
          {MODULES.filter((m) => m.key).map((m) => (
            <Checkbox
              key={m.key}
              label={m.label}
              description={m.description}
              disabled={readOnly}
              checked={form.modules.includes(m.key!)}
              onChange={(e) => toggleModule(m.key!, e.target.checked)}
            />
          ))}
          {errors.modules && <p className="text-xs font-medium text-red-600">{errors.modules}</p>}
        </fieldset>
      </Card>

      <Card title="Security policy">
        <fieldset disabled={readOnly}>
          <Checkbox
            label="Require two-factor authentication for admins"
            disabled={readOnly}
            description="Admins without MFA will be asked to set it up before managing the company."
            checked={form.require_mfa_for_admins}
            onChange={(e) => setForm({ ...form, require_mfa_for_admins: e.target.checked })}
          />
          {errors.require_mfa_for_admins && <p className="mt-2 text-xs font-medium text-red-600">{errors.require_mfa_for_admins}</p>}
        </fieldset>
      </Card>

      {!readOnly && (
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => { setForm(toForm(org)); save.reset(); }} disabled={save.isPending}>
            Reset
          </Button>
          <Button type="submit" loading={save.isPending}>
            Save changes
          </Button>
        </div>
      )}
    </form>
  );
}
