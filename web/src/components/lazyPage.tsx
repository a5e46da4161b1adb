import { lazy, Suspense, type ComponentType } from 'react';
import { PageSpinner } from './Spinner';

/** A route element whose page `name` comes from the chunk `load` fetches on the first visit, with a
 * spinner saying `label` meanwhile: a module's heavy pages stay out of the app shell's bundle. */
export function lazyPage<M>(load: () => Promise<M>, name: keyof M & string, label: string) {
  const Page = lazy(async () => ({ default: (await load())[name] as ComponentType }));
  function LazyPage() {
    return (
      <Suspense fallback={<PageSpinner label={label} />}>
        <Page />
      </Suspense>
    );
  }
  LazyPage.displayName = `Lazy(${name})`;
  return LazyPage;
}
