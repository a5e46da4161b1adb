export { DevicesPage } from './DevicesPage';
export { DeviceDetailPage } from './DeviceDetailPage';
