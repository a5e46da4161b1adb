import { useId, useRef, useState, type FormEvent } from 'react';
import { Badge, Button, ProblemAlert, SuccessAlert, TextArea } from '../../../components';
import { IconChevronDown } from '../../../components/Icons';
import { formatDate, formatDateTime } from '../../../lib/format';
import { downloadEvidence } from '../api';
import { ControlStatusBadge, SeverityBadge } from '../badges';
import { useAttestControl, useDownload, useUploadEvidence } from '../hooks';
import { formatBytes, MANUAL_STATUS_LABELS } from '../labels';
import { MANUAL_STATUSES, type Control, type ControlFinding, type ControlStateIn, type EvidenceFile, type ManualAttestation } from '../types';

/** One control: status and why, the findings behind it, a person's review and the evidence files. */
export function ControlItem({ framework, control, writer }: { framework: string; control: Control; writer: boolean }) {
  const findings = control.findings as unknown as ControlFinding[];
  const manual = control.manual as unknown as ManualAttestation | null;
  const evidence = control.evidence as unknown as EvidenceFile[];
  return (
    <li aria-label={`${control.id} ${control.title}`} className="rounded-lg ring-1 ring-slate-200">
      <details className="group">
        <summary className="flex cursor-pointer list-none flex-wrap items-center justify-between gap-2 px-4 py-3 hover:bg-slate-50">
          <span className="min-w-0">
            <span className="mr-2 font-mono text-xs text-slate-500">{control.id}</span>
            <span className="font-medium text-slate-900">{control.title}</span>
          </span>
          <span className="flex items-center gap-2">
            {control.automated && <Badge tone="brand">Automated</Badge>}
            {evidence.length > 0 && <Badge>{evidence.length} file{evidence.length === 1 ? '' : 's'}</Badge>}
            <ControlStatusBadge status={control.status} />
            <IconChevronDown className="h-4 w-4 text-slate-400 transition-transform group-open:rotate-180" />
          </span>
        </summary>
        <div className="space-y-4 border-t border-slate-100 px-4 py-4 text-sm">
          <p className="text-slate-700">{control.description}</p>
          {control.reasons.length > 0 && (
            <ul aria-label="Why" className="list-disc space-y-0.5 pl-5 text-slate-600">
              {control.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          )}
          {findings.length > 0 && <Findings findings={findings} />}
          <p className="text-xs text-slate-500">
            Evidence to keep: {control.evidence_hint} Review every {control.review_days} days.
          </p>
          <div className="grid gap-4 lg:grid-cols-2">
            <Attestation framework={framework} control={control} manual={manual} writer={writer} />
            <EvidenceFiles framework={framework} control={control} files={evidence} writer={writer} />
          </div>
        </div>
      </details>
    </li>
  );
}

function Findings({ findings }: { findings: ControlFinding[] }) {
  return (
    <div>
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Automated findings</h4>
      <ul aria-label="Automated findings" className="mt-1 divide-y divide-slate-100">
        {findings.slice(0, 20).map((finding, i) => (
          <li key={`${finding.check_id}:${finding.target}:${i}`} className="flex flex-wrap items-center gap-2 py-1.5">
            {finding.passed ? <Badge tone="success">Passed</Badge> : <SeverityBadge severity={finding.severity} />}
            <span className="text-slate-800">{finding.title}</span>
            <span className="break-all text-xs text-slate-500">{finding.target}</span>
            {finding.observed_at && <span className="text-xs text-slate-400">{formatDate(finding.observed_at)}</span>}
          </li>
        ))}
      </ul>
      {findings.length > 20 && <p className="text-xs text-slate-500">and {findings.length - 20} more in the exported report.</p>}
    </div>
  );
}

function Attestation({ framework, control, manual, writer }: { framework: string; control: Control; manual: ManualAttestation | null; writer: boolean }) {
  const attest = useAttestControl(framework);
  const [status, setStatus] = useState<ControlStateIn['status'] | ''>(manual?.status ?? '');
  const [note, setNote] = useState(manual?.note ?? '');
  const [saved, setSaved] = useState(false);
  const name = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!status) return;
    setSaved(false);
    attest.mutate({ controlId: control.id, body: { status, note: note.trim() || null } }, { onSuccess: () => setSaved(true) });
  };
  return (
    <section aria-label="Review" className="space-y-2 rounded-lg bg-slate-50 p-3">
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Your review</h4>
      {manual ? (
        <p className="text-slate-700">
          {MANUAL_STATUS_LABELS[manual.status] ?? manual.status}
          {manual.reviewed_at && ` on ${formatDateTime(manual.reviewed_at)}`}
          {manual.review_due_at && ` · next review due ${formatDate(manual.review_due_at)}`}
          {manual.note && <span className="mt-1 block whitespace-pre-line text-slate-600">“{manual.note}”</span>}
        </p>
      ) : (
        <p className="text-slate-500">Not reviewed yet.</p>
      )}
      {writer && (
        <form onSubmit={submit} aria-label={`Review ${control.id}`} className="space-y-2">
          <fieldset className="flex flex-wrap gap-4">
            <legend className="sr-only">Is the control met?</legend>
            {MANUAL_STATUSES.map((value) => (
              <label key={value} className="flex items-center gap-1.5 text-slate-700">
                <input type="radio" name={name} value={value} checked={status === value} onChange={() => setStatus(value)} className="h-4 w-4 accent-brand-600" />
                {MANUAL_STATUS_LABELS[value]}
              </label>
            ))}
          </fieldset>
          <TextArea aria-label="Note" rows={2} maxLength={4000} placeholder="What you checked, where the policy lives…" value={note} onChange={(e) => setNote(e.target.value)} />
          <ProblemAlert error={attest.error} title="Could not save the review" />
          {saved && !attest.isPending && <SuccessAlert>Review saved.</SuccessAlert>}
          <Button type="submit" size="sm" disabled={!status} loading={attest.isPending}>
            Save review
          </Button>
        </form>
      )}
    </section>
  );
}

function EvidenceFiles({ framework, control, files, writer }: { framework: string; control: Control; files: EvidenceFile[]; writer: boolean }) {
  const upload = useUploadEvidence(framework);
  const download = useDownload((file: EvidenceFile) => downloadEvidence(framework, file.id, file.filename));
  const [file, setFile] = useState<File | null>(null);
  const [note, setNote] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    upload.mutate(
      { controlId: control.id, file, note },
      {
        onSuccess: () => {
          setFile(null);
          setNote('');
          if (input.current) input.current.value = '';
        },
      },
    );
  };
  return (
    <section aria-label="Evidence" className="space-y-2 rounded-lg bg-slate-50 p-3">
      <h4 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Evidence</h4>
      {files.length === 0 ? (
        <p className="text-slate-500">No files yet.</p>
      ) : (
        <ul aria-label="Evidence files" className="space-y-1">
          {files.map((f) => (
            <li key={f.id} className="flex flex-wrap items-center gap-2">
              <button type="button" onClick={() => download.mutate(f)} className="font-medium text-brand-700 hover:text-brand-800 hover:underline">
                {f.filename}
              </button>
              <span className="text-xs text-slate-500">
                {formatBytes(f.size_bytes)} · {formatDateTime(f.uploaded_at)}
              </span>
              {f.note && <span className="w-full text-xs text-slate-600">{f.note}</span>}
            </li>
          ))}
        </ul>
      )}
      <ProblemAlert error={download.error} title="Could not download the file" />
      {writer && (
        <form onSubmit={submit} aria-label={`Upload evidence for ${control.id}`} className="space-y-2">
          <input
            ref={input}
            type="file"
            aria-label="Evidence file"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            className="block w-full text-xs text-slate-600 file:mr-3 file:rounded-md file:border-0 file:bg-white file:px-3 file:py-1.5 file:text-xs file:font-medium file:ring-1 file:ring-slate-300"
          />
          <TextArea aria-label="Evidence note" rows={1} maxLength={2000} placeholder="Note (optional)" value={note} onChange={(e) => setNote(e.target.value)} />
          <ProblemAlert error={upload.error} title="Could not upload the file" />
          <Button type="submit" size="sm" variant="secondary" disabled={!file} loading={upload.isPending}>
            Upload evidence
          </Button>
        </form>
      )}
    </section>
  );
}
