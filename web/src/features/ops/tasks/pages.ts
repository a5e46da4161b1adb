/** The task pages, loaded as one chunk on the first visit to them (see ../routes.tsx). */
export { BoardPage } from './BoardPage';
export { TaskDetailPage } from './TaskDetailPage';
export { TasksPage } from './TasksPage';
