export { IssuesPage } from './IssuesPage';
export { IssueDetailPage } from './IssueDetailPage';
