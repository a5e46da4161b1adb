/**
 * Ops Copilot's routes under /ops/*. The pages load on the first visit, like Mini Foundry's: the
 * task pages, the schedule (with its chart) and the automations (./workflows) each in their own chunk.
 */
import { Navigate, Route, Routes } from 'react-router';
import { lazyPage } from '../../components';
import { NotFoundPage } from '../shell/NotFoundPage';

const loadTasks = () => import('./tasks/pages');
const loadSchedule = () => import('./schedule/SchedulePage');
const loadWorkflows = () => import('./workflows');

export const TasksPage = lazyPage(loadTasks, 'TasksPage', 'Loading tasks');
export const TaskDetailPage = lazyPage(loadTasks, 'TaskDetailPage', 'Loading the task');
export const BoardPage = lazyPage(loadTasks, 'BoardPage', 'Loading the board');
export const SchedulePage = lazyPage(loadSchedule, 'SchedulePage', 'Loading the schedule');
export const WorkflowsPage = lazyPage(loadWorkflows, 'WorkflowsPage', 'Loading automations');
export const WorkflowBuilderPage = lazyPage(loadWorkflows, 'WorkflowBuilderPage', 'Loading the builder');
export const RunsPage = lazyPage(loadWorkflows, 'RunsPage', 'Loading runs');
export const RunDetailPage = lazyPage(loadWorkflows, 'RunDetailPage', 'Loading the run');

/** The routes below /ops (mounted at `ops/*`); /ops itself opens the task list. */
export function OpsRoutes() {
  return (
    <Routes>
      <Route index element={<Navigate to="/ops/tasks" replace />} />
      <Route path="tasks" element={<TasksPage />} />
      <Route path="tasks/:taskId" element={<TaskDetailPage />} />
      <Route path="board" element={<BoardPage />} />
      <Route path="schedule" element={<SchedulePage />} />
      <Route path="automations" element={<WorkflowsPage />} />
      <Route path="automations/:workflowId" element={<WorkflowBuilderPage />} />
      <Route path="runs" element={<RunsPage />} />
      <Route path="runs/:runId" element={<RunDetailPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
