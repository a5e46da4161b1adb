/** Convenience aliases derived from the generated OpenAPI paths (independent of schema names). */
import type { paths } from './schema';

export type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;
export type Ok<Op> = Op extends { responses: infer R }
  ? Json<R[Extract<keyof R, 200 | 201>]>
  : never;
export type Body<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type TokenResponse = Ok<paths['/api/auth/login']['post']>;
export type Me = Ok<paths['/api/auth/me']['get']>;
export type Membership = Me['tenants'][number];
export type Role = Membership['role'];
export type InvitationPreview = Ok<paths['/api/auth/invitations/{token}']['get']>;
export type MemberPage = Ok<paths['/api/team/members']['get']>;
export type Member = MemberPage['items'][number];
export type InvitationPage = Ok<paths['/api/team/invitations']['get']>;
export type Invitation = InvitationPage['items'][number];
export type InvitationCreated = Ok<paths['/api/team/invitations']['post']>;
export type Organization = Ok<paths['/api/organization']['get']>;
export type OrganizationUpdate = Body<paths['/api/organization']['put']>;
export type ModuleKey = Organization['modules'][number];
export type ApiKeyPage = Ok<paths['/api/api-keys']['get']>;
export type ApiKey = ApiKeyPage['items'][number];
export type ApiKeyCreated = Ok<paths['/api/api-keys']['post']>;
export type AuditLogPage = Ok<paths['/api/audit-logs']['get']>;
export type AuditLog = AuditLogPage['items'][number];
export type MfaEnroll = Ok<paths['/api/auth/mfa/enroll']['post']>;

export const ROLES = ['admin', 'member', 'viewer'] as const satisfies readonly Role[];
