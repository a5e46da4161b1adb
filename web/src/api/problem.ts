/** RFC 9457 problem+json handling. */

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** Seconds from a Retry-After header (429), when present. */
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Build an ApiError from a failed response and its (already parsed) body. */
export function problemFromResponse(response: Response, body: unknown): ApiError {
  const retryHeader = response.headers.get('Retry-After');
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  if (isRecord(body) && typeof body.title === 'string') {
    const problem: Problem = {
      type: typeof body.type === 'string' ? body.type : undefined,
      title: body.title,
      status: typeof body.status === 'number' ? body.status : response.status,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
      code: typeof body.code === 'string' ? body.code : undefined,
      errors: Array.isArray(body.errors) ? (body.errors as FieldError[]) : undefined,
    };
    return new ApiError(problem, retryAfter);
  }
  // FastAPI's default {"detail": ...} or a non-JSON body (proxy error page, etc.)
  const detail = isRecord(body) && typeof body.detail === 'string' ? body.detail : undefined;
  return new ApiError(
    {
      title: response.statusText || `Request failed (${response.status})`,
      status: response.status,
      detail: detail ?? (response.status >= 500 ? 'The server had a problem. Please try again.' : undefined),
    },
    retryAfter,
  );
}

export function networkError(cause: unknown): ApiError {
  const err = new ApiError({
    title: 'Cannot reach the server',
    status: 0,
    detail: 'Check your connection and try again.',
    code: 'NETWORK_ERROR',
  });
  (err as { cause?: unknown }).cause = cause;
  return err;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    title: 'Something went wrong',
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Map a 422 problem's `errors` to form fields: `{password: "too short"}`.
 * The field is the last string segment of `loc` (e.g. ["body", "password"]).
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !error.problem.errors) return {};
  const out: Record<string, string> = {};
  for (const e of error.problem.errors) {
    const segments = e.loc.filter((s): s is string => typeof s === 'string' && s !== 'body');
    const field = segments[segments.length - 1];
    if (field && !(field in out)) out[field] = e.msg;
  }
  return out;
}

/** Human-readable message: the problem's detail, else its title. */
export function errorMessage(error: unknown): string {
  const e = toApiError(error);
  return e.problem.detail || e.problem.title;
}
