import type { ReactNode } from 'react';
import { ProblemAlert } from './ProblemAlert';
import { Spinner } from './Spinner';

interface QueryLike<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
}

interface QueryViewProps<T> {
  query: QueryLike<T>;
  loadingLabel: string;
  errorTitle: string;
  children: (data: T) => ReactNode;
}

/** The loading / error / loaded switch every data panel needs: a spinner, the problem, or the content. */
export function QueryView<T>({ query, loadingLabel, errorTitle, children }: QueryViewProps<T>) {
  if (query.isPending) {
    return (
      <div className="flex justify-center py-10">
        <Spinner label={loadingLabel} />
      </div>
    );
  }
  if (query.isError || query.data === undefined) {
    return <ProblemAlert className="m-3" error={query.error} title={errorTitle} />;
  }
  return <>{children(query.data)}</>;
}
