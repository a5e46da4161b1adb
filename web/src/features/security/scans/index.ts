export { ScansPage } from './ScansPage';
export { ScanDetailPage } from './ScanDetailPage';
