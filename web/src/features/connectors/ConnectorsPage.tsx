import { ModulePage } from '../shell/ModulePage';

export function ConnectorsPage() {
  return (
    <ModulePage
      path="/connectors"
      emptyTitle="Nothing here yet"
      emptyDescription="No tools are connected. Available connectors and their sync status will appear here."
    />
  );
}
