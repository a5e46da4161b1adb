/**
 * Marketplace Intel's routes under /marketplace/*. Each area loads on its first visit, in its own chunk:
 * products (with the product page and its charts), competitors, alerts and discovery.
 */
import { Route, Routes } from 'react-router';
import { lazyPage } from '../../components';
import { NotFoundPage } from '../shell/NotFoundPage';

const loadProducts = () => import('./products/ProductsPage');
const loadProduct = () => import('./products/ProductDetailPage');
const loadCompetitors = () => import('./competitors/CompetitorsPage');
const loadCompetitor = () => import('./competitors/CompetitorPage');
const loadAlerts = () => import('./alerts/AlertsPage');
const loadDiscovery = () => import('./discovery/DiscoveryPage');

export const ProductsPage = lazyPage(loadProducts, 'ProductsPage', 'Loading products');
export const ProductDetailPage = lazyPage(loadProduct, 'ProductDetailPage', 'Loading the product');
export const CompetitorsPage = lazyPage(loadCompetitors, 'CompetitorsPage', 'Loading competitors');
export const CompetitorPage = lazyPage(loadCompetitor, 'CompetitorPage', 'Loading the competitor');
export const AlertsPage = lazyPage(loadAlerts, 'AlertsPage', 'Loading alerts');
export const DiscoveryPage = lazyPage(loadDiscovery, 'DiscoveryPage', 'Loading discovery');

/** The routes below /marketplace (mounted at `marketplace/*`); /marketplace itself is the products list. */
export function MarketplaceRoutes() {
  return (
    <Routes>
      <Route index element={<ProductsPage />} />
      <Route path="products/:productId" element={<ProductDetailPage />} />
      <Route path="competitors" element={<CompetitorsPage />} />
      <Route path="competitors/:competitorId" element={<CompetitorPage />} />
      <Route path="alerts" element={<AlertsPage />} />
      <Route path="discover" element={<DiscoveryPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
