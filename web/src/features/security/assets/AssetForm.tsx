import { useState, type FormEvent } from 'react';
import { Button, Card, Checkbox, ProblemAlert, SelectField, TextField } from '../../../components';
import { fieldErrors } from '../../../api/problem';
import { useCreateAsset } from '../hooks';
import { ASSET_KIND_LABELS } from '../labels';
import { ASSET_KINDS, type AssetIn, type AssetKind } from '../types';

const PLACEHOLDERS: Record<AssetKind, string> = {
  domain: 'example.com',
  url: 'https://shop.example.com/',
  ip: '203.0.113.7',
  cidr: '192.168.1.0/24',
};

const HINTS: Record<AssetKind, string> = {
  domain: 'Checks its website, TLS, e-mail records (SPF, DMARC, DKIM…) and open ports.',
  url: 'Checks the page’s security headers and, for https://, its TLS.',
  ip: 'Checks which ports are open on this address.',
  cidr: 'Finds the devices in this range (at most 1,024 addresses) and their open ports.',
};

/** "80, 443, 8000-8003" → [80, 443, 8000, 8001, 8002, 8003]; null when something is not a port. */
export function parsePorts(text: string): number[] | null {
  const ports: number[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    const [from, to] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 65535 || from > to || to - from > 1000) return null;
    for (let port = from; port <= to; port += 1) ports.push(port);
  }
  return [...new Set(ports)];
}

interface Form {
  kind: AssetKind;
  value: string;
  label: string;
  ports: string;
  selectors: string;
  attest: boolean;
}

const EMPTY: Form = { kind: 'domain', value: '', label: '', ports: '', selectors: '', attest: false };

/** Register something to scan. The ownership statement is required: scanning what you may not test is an attack. */
export function AssetForm({ onDone }: { onDone?: () => void }) {
  const create = useCreateAsset();
  const [form, setForm] = useState<Form>(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [added, setAdded] = useState<string | null>(null);
  const set = (patch: Partial<Form>) => setForm((current) => ({ ...current, ...patch }));
  const server = fieldErrors(create.error);
  const errors = { ...server, ...local };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    const problems: Record<string, string> = {};
    if (!form.value.trim()) problems.value = 'Enter what to scan.';
    // A URL is checked on its own port; ports typed for another kind before switching do not apply.
    const ports = form.kind === 'url' ? [] : parsePorts(form.ports);
    if (ports === null) problems.ports = 'Ports are numbers from 1 to 65535, separated by commas; ranges like 8000-8010 work too.';
    if (!form.attest) problems.attest_ownership = 'Confirm that you own this asset or are allowed to test it.';
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    const body: AssetIn = {
      kind: form.kind,
      value: form.value.trim(),
      label: form.label.trim() || null,
      attest_ownership: true,
      scan_enabled: true,
      ports: ports ?? [],
      dkim_selectors: form.kind === 'domain' ? form.selectors.split(/[\s,]+/).filter(Boolean) : [],
    };
    create.mutate(body, {
      onSuccess: (asset) => {
        setForm(EMPTY);
        setAdded(asset.value);
        onDone?.();
      },
    });
  };

  // Field errors are shown next to their fields; anything else (403 ADMIN_REQUIRED, a bad value the
  // server explains in its detail) as the problem itself.
  const fieldKeys = new Set(['kind', 'value', 'label', 'ports', 'dkim_selectors', 'attest_ownership']);
  const unplaced = create.error && !Object.keys(server).some((key) => fieldKeys.has(key));
  return (
    <Card title="Add an asset" description="A domain, website URL, IP address or address range your company owns.">
      <form onSubmit={submit} noValidate aria-label="Add an asset" className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-3">
          <SelectField
            label="Kind"
            value={form.kind}
            options={ASSET_KINDS.map((kind) => ({ value: kind, label: ASSET_KIND_LABELS[kind] ?? kind }))}
            onChange={(e) => set({ kind: e.target.value as AssetKind })}
            error={errors.kind}
          />
          <TextField
            label="Value"
            fieldClassName="sm:col-span-2"
            placeholder={PLACEHOLDERS[form.kind]}
            value={form.value}
            onChange={(e) => set({ value: e.target.value })}
            error={errors.value}
            hint={HINTS[form.kind]}
            required
            maxLength={500}
          />
        </div>
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField label="Label (optional)" placeholder="Main website" value={form.label} onChange={(e) => set({ label: e.target.value })} error={errors.label} maxLength={200} />
          {form.kind !== 'url' && (
            <TextField
              label="Ports (optional)"
              placeholder="22, 80, 443, 8000-8010"
              value={form.ports}
              onChange={(e) => set({ ports: e.target.value })}
              error={errors.ports}
              hint="Empty: the common ports."
            />
          )}
          {form.kind === 'domain' && (
            <TextField
              label="DKIM selectors (optional)"
              placeholder="google, selector1"
              value={form.selectors}
              onChange={(e) => set({ selectors: e.target.value })}
              error={errors.dkim_selectors}
              hint="Your mail provider’s selectors; common ones are tried anyway."
            />
          )}
        </div>
        <div>
          <Checkbox
            label="I confirm we own this asset or are allowed to test it"
            description="Only admins can add assets. The statement is recorded with your name in the audit log."
            checked={form.attest}
            onChange={(e) => {
              set({ attest: e.target.checked });
              if (e.target.checked) setLocal(({ attest_ownership: _, ...rest }) => rest);
            }}
            aria-invalid={errors.attest_ownership ? true : undefined}
          />
          {errors.attest_ownership && <p className="mt-1 text-xs font-medium text-red-600">{errors.attest_ownership}</p>}
        </div>
        {unplaced && <ProblemAlert error={create.error} title="Could not add the asset" />}
        {added && <p role="status" className="text-sm text-emerald-700">Added {added}. Run a scan to grade it.</p>}
        <Button type="submit" loading={create.isPending}>
          Add asset
        </Button>
      </form>
    </Card>
  );
}
