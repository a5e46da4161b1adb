import { ModulePage } from '../shell/ModulePage';

export function MarketplacePage() {
  return (
    <ModulePage
      path="/marketplace"
      emptyTitle="Nothing here yet"
      emptyDescription="No products or competitors are tracked yet. They will be listed here once Marketplace Intel is available."
    />
  );
}
