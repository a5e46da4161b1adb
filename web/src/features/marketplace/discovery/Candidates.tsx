/** Suggested competitors, best match first: score, why, where; accept one (it becomes a competitor) or dismiss it. */
import { Link } from 'react-router';
import { Badge, Button, ProblemAlert, SuccessAlert } from '../../../components';
import { formatDistance } from '../format';
import { useAcceptCandidate, useDismissCandidate } from '../hooks';
import { ExternalLink } from '../shared';
import type { Candidate } from '../types';

export function Candidates({ candidates, writer }: { candidates: Candidate[]; writer: boolean }) {
  const accept = useAcceptCandidate();
  const dismiss = useDismissCandidate();
  const ranked = [...candidates].sort((a, b) => b.score - a.score);
  return (
    <div className="space-y-3">
      {accept.data && (
        <SuccessAlert>
          Added{' '}
          <Link to={`/marketplace/competitors/${accept.data.id}`} className="font-medium underline">
            {accept.data.name}
          </Link>{' '}
          to your competitors.
        </SuccessAlert>
      )}
      <ProblemAlert error={accept.error} title="Could not accept the candidate" />
      <ProblemAlert error={dismiss.error} title="Could not dismiss the candidate" />
      {ranked.length === 0 ? (
        <p className="text-sm text-slate-500">No open suggestions. Find competitors to get some.</p>
      ) : (
        <ol aria-label="Suggested competitors" className="divide-y divide-slate-100">
          {ranked.map((candidate, index) => (
            <CandidateItem
              key={candidate.id}
              rank={index + 1}
              candidate={candidate}
              writer={writer}
              busy={(accept.isPending && accept.variables === candidate.id) || (dismiss.isPending && dismiss.variables === candidate.id)}
              onAccept={() => accept.mutate(candidate.id)}
              onDismiss={() => dismiss.mutate(candidate.id)}
            />
          ))}
        </ol>
      )}
    </div>
  );
}

interface CandidateItemProps {
  rank: number;
  candidate: Candidate;
  writer: boolean;
  busy: boolean;
  onAccept: () => void;
  onDismiss: () => void;
}

function CandidateItem({ rank, candidate, writer, busy, onAccept, onDismiss }: CandidateItemProps) {
  const score = Math.round(Math.min(1, Math.max(0, candidate.score)) * 100);
  const providers = Object.keys(candidate.provider_ids ?? {});
  return (
    <li aria-label={candidate.name} className="flex flex-wrap items-start gap-4 py-4">
      <span className="w-6 shrink-0 pt-0.5 text-right text-sm font-semibold text-slate-400">{rank}</span>
      <div className="min-w-0 flex-1 space-y-2">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium text-slate-900">{candidate.name}</span>
          {providers.map((p) => (
            <Badge key={p}>{p === 'google' ? 'Google' : p === 'yelp' ? 'Yelp' : p}</Badge>
          ))}
        </div>
        <p className="text-sm text-slate-600">
          {[candidate.address, formatDistance(candidate.distance_m) !== '—' ? `${formatDistance(candidate.distance_m)} away` : null].filter(Boolean).join(' · ')}
        </p>
        <div className="flex max-w-md items-center gap-3">
          <div
            role="meter"
            aria-label={`Match score for ${candidate.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={score}
            aria-valuetext={`${score} out of 100`}
            className="h-2 flex-1 overflow-hidden rounded-full bg-slate-100 ring-1 ring-inset ring-slate-200"
          >
            <div className="h-full rounded-full bg-brand-600" style={{ width: `${score}%` }} />
          </div>
          <span className="w-10 text-right text-sm font-semibold tabular-nums text-slate-800">{score}</span>
        </div>
        {candidate.reasons.length > 0 && (
          <ul aria-label={`Why ${candidate.name}`} className="list-disc space-y-0.5 pl-5 text-sm text-slate-600">
            {candidate.reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
        )}
        <p className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-500">
          {candidate.categories.length > 0 && <span>{candidate.categories.join(', ')}</span>}
          {candidate.rating !== null && (
            <span>
              Rated {candidate.rating.toFixed(1)}
              {candidate.review_count !== null ? ` (${candidate.review_count} reviews)` : ''}
            </span>
          )}
          {candidate.phone && <span>{candidate.phone}</span>}
          {candidate.website && <ExternalLink href={candidate.website} />}
        </p>
      </div>
      {writer && (
        <div className="flex shrink-0 gap-2">
          <Button size="sm" onClick={onAccept} disabled={busy} aria-label={`Accept ${candidate.name}`}>
            Accept
          </Button>
          <Button size="sm" variant="ghost" onClick={onDismiss} disabled={busy} aria-label={`Dismiss ${candidate.name}`}>
            Dismiss
          </Button>
        </div>
      )}
    </li>
  );
}
