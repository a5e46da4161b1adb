import { ModulePage } from '../shell/ModulePage';

export function OpsPage() {
  return (
    <ModulePage
      path="/ops"
      emptyTitle="Nothing here yet"
      emptyDescription="Ops Copilot isn't available yet. Conversations and drafted tasks will appear here once it is."
    />
  );
}
