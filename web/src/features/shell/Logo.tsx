export function Logo({ compact = false }: { compact?: boolean }) {
  return (
    <span className="inline-flex items-center gap-2.5">
      <svg viewBox="0 0 64 64" className="h-8 w-8" aria-hidden="true">
        <rect width="64" height="64" rx="14" fill="#4f46e5" />
        <path d="M18 20 32 32 18 44M36 44h11" fill="none" stroke="#fff" strokeWidth="7" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      {!compact && <span className="text-lg font-semibold tracking-tight text-slate-900">Binelek</span>}
    </span>
  );
}
