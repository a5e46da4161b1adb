import { ModulePage } from '../shell/ModulePage';

export function FoundryPage() {
  return (
    <ModulePage
      path="/foundry"
      emptyTitle="Nothing here yet"
      emptyDescription="No data models have been built yet. Once Mini Foundry is available, your datasets and models will be listed here."
    />
  );
}
