export { CompliancePage } from './CompliancePage';
export { FrameworkPage } from './FrameworkPage';
