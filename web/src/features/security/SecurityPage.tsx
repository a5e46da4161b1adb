import { ModulePage } from '../shell/ModulePage';

export function SecurityPage() {
  return (
    <ModulePage
      path="/security"
      emptyTitle="Nothing here yet"
      emptyDescription="No scans have been run. Scan targets and findings will show up here once the scanner is available."
    />
  );
}
