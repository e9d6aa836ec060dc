// The directory API's use cases: users, groups and members of one tenant as plain JSON, in keyset pages that all
// name the feed position their listing is consistent with (eventCursor, ADR 0021).
import { DomainError, invalid } from '../errors.ts';
import { directoryGroup, directoryUser, scimBaseUrlOf } from '../events/directory.ts';
import { encodeCursor } from '../events/position.ts';
import { decodeListCursor, encodeListCursor } from './list-cursor.ts';
import type { DirectoryMember, DirectoryStore, PageRequest, UserFilter } from './ports.ts';

export interface DirectoryDeps {
  readonly directory: DirectoryStore;
  readonly publicUrl: string;
}

export interface ListRequest {
  readonly cursor: string | undefined;
  readonly limit: number | undefined;
}

export interface ListAnswer<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
  readonly eventCursor: string;
}

type Json = Record<string, unknown>;

export const DEFAULT_DIRECTORY_LIMIT = 100;
export const MAX_DIRECTORY_LIMIT = 1000;

/**
 * Where the page starts, and the listing's eventCursor. On a first page the feed's horizon is read BEFORE the
 * page's rows, so every change the rows do not show commits its event after it; later pages carry the first
 * page's (earliest, hence safe) position in their cursor.
 */
async function startPage(deps: DirectoryDeps, request: ListRequest): Promise<PageRequest & { eventCursor: string }> {
  const limit = request.limit ?? DEFAULT_DIRECTORY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DIRECTORY_LIMIT) {
    throw invalid('limit', `must be an integer from 1 to ${MAX_DIRECTORY_LIMIT}`);
  }
  if (request.cursor !== undefined) {
    const c = decodeListCursor(request.cursor);
    return { afterId: c.afterId, limit, eventCursor: c.eventCursor };
  }
  return { afterId: undefined, limit, eventCursor: encodeCursor(await deps.directory.horizon()) };
}

function answer<R extends { readonly id: string }, T>(
  rows: readonly R[],
  page: PageRequest & { eventCursor: string },
  data: readonly T[],
): ListAnswer<T> {
  const more = rows.length > page.limit;
  const last = rows[Math.min(rows.length, page.limit) - 1];
  return {
    data,
    nextCursor: more && last ? encodeListCursor({ afterId: last.id, eventCursor: page.eventCursor }) : null,
    eventCursor: page.eventCursor,
  };
}

const notFound = (what: 'user' | 'group') => new DomainError('directory.not_found', `no such ${what} in this tenant`);

export async function listDirectoryUsers(
  deps: DirectoryDeps,
  tenantId: string,
  request: ListRequest & { readonly filter: UserFilter },
): Promise<ListAnswer<Json>> {
  const page = await startPage(deps, request);
  const rows = await deps.directory.users(tenantId, request.filter, page);
  const shown = rows.slice(0, page.limit);
  const ids = shown.map((u) => u.id);
  const groups = await deps.directory.groupsOf(tenantId, ids);
  const roles = await deps.directory.rolesOf(tenantId, ids);
  const base = scimBaseUrlOf(deps.publicUrl, tenantId);
  return answer(
    rows,
    page,
    shown.map((u) => directoryUser(u, groups.get(u.id) ?? [], base, roles.get(u.id) ?? [])),
  );
}

export async function getDirectoryUser(deps: DirectoryDeps, tenantId: string, id: string): Promise<Json> {
  const user = await deps.directory.user(tenantId, id);
  if (!user) throw notFound('user');
  const groups = await deps.directory.groupsOf(tenantId, [id]);
  const roles = await deps.directory.rolesOf(tenantId, [id]);
  return directoryUser(user, groups.get(id) ?? [], scimBaseUrlOf(deps.publicUrl, tenantId), roles.get(id) ?? []);
}

export async function listDirectoryGroups(
  deps: DirectoryDeps,
  tenantId: string,
  request: ListRequest & { readonly displayName: string | undefined },
): Promise<ListAnswer<Json>> {
  const page = await startPage(deps, request);
  const rows = await deps.directory.groups(tenantId, { displayName: request.displayName }, page);
  const shown = rows.slice(0, page.limit);
  const counts = await deps.directory.memberCounts(
    tenantId,
    shown.map((g) => g.id),
  );
  return answer(
    rows,
    page,
    shown.map((g) => directoryGroup(g, counts.get(g.id) ?? 0)),
  );
}

export async function getDirectoryGroup(deps: DirectoryDeps, tenantId: string, id: string): Promise<Json> {
  const group = await deps.directory.group(tenantId, id);
  if (!group) throw notFound('group');
  const counts = await deps.directory.memberCounts(tenantId, [id]);
  return directoryGroup(group, counts.get(id) ?? 0);
}

export async function listDirectoryMembers(
  deps: DirectoryDeps,
  tenantId: string,
  groupId: string,
  request: ListRequest,
): Promise<ListAnswer<DirectoryMember>> {
  const page = await startPage(deps, request);
  // Checked after the horizon: a group deleted in between is a 404, never a listing that looks empty.
  if (!(await deps.directory.group(tenantId, groupId))) throw notFound('group');
  const rows = await deps.directory.members(tenantId, groupId, page);
  return answer(rows, page, rows.slice(0, page.limit));
}
