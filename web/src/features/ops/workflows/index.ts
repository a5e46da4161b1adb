/** Ops Copilot's automations: the list, the visual builder, and the runs (mounted by ../routes.tsx). */
export { WorkflowsPage } from './WorkflowsPage';
export { WorkflowBuilderPage } from './WorkflowBuilderPage';
export { RunsPage } from './RunsPage';
export { RunDetailPage } from './RunDetailPage';
