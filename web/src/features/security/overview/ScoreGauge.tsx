import { gradeColor } from '../labels';

const RADIUS = 54;
const CIRCUMFERENCE = 2 * Math.PI * RADIUS;
/** The ring leaves a gap at the bottom, like a speedometer: 270° of the circle are the 0-100 scale. */
const SWEEP = 0.75;

/** The posture score as a ring gauge with the grade letter in the middle, coloured by grade. */
export function ScoreGauge({ score, grade }: { score: number; grade: string }) {
  const clamped = Math.max(0, Math.min(100, score));
  const track = CIRCUMFERENCE * SWEEP;
  const filled = (track * clamped) / 100;
  const color = gradeColor(grade);
  return (
    <div
      role="meter"
      aria-label="Security posture score"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={`${formatScore(score)} out of 100, grade ${grade}`}
      className="relative mx-auto h-44 w-44"
    >
      <svg viewBox="0 0 128 128" className="h-full w-full" aria-hidden="true">
        <g transform="rotate(135 64 64)">
          <circle cx="64" cy="64" r={RADIUS} fill="none" stroke="#e2e8f0" strokeWidth="12" strokeLinecap="round" strokeDasharray={`${track} ${CIRCUMFERENCE}`} />
          <circle
            cx="64"
            cy="64"
            r={RADIUS}
            fill="none"
            stroke={color}
            strokeWidth="12"
            strokeLinecap="round"
            strokeDasharray={`${filled} ${CIRCUMFERENCE}`}
            data-testid="gauge-fill"
          />
        </g>
      </svg>
      <div className="absolute inset-0 flex flex-col items-center justify-center" aria-hidden="true">
        <span className="text-4xl font-bold tabular-nums text-slate-900">{formatScore(score)}</span>
        <span className="mt-1 rounded-md px-2 text-lg font-bold text-white" style={{ backgroundColor: color }}>
          {grade}
        </span>
      </div>
    </div>
  );
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}
