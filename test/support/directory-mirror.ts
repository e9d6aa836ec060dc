// A vendor's mirror of one tenant's directory, built as docs/events.md teaches: list everything through the directory
// API, then apply the feed from the listing's eventCursor. Compared with a later listing in the directory tests.
import type { Client } from './http.ts';

// biome-ignore lint/suspicious/noExplicitAny: directory bodies are compared whole
type Json = Record<string, any>;

export interface Mirror {
  users: Map<string, Json>;
  groups: Map<string, Json>;
  /** groupId → memberId → "user" | "group" */
  members: Map<string, Map<string, string>>;
  /** Ids seen deleted: later member_added naming them are ignored (docs/events.md). */
  deleted: Set<string>;
}

export interface Listing {
  readonly items: Json[];
  readonly eventCursor: string;
  readonly pages: number;
}

/** Every page of one listing; throws when a page answers another eventCursor than the first page. */
export async function listAll(client: Client, token: string, path: string, limit: number): Promise<Listing> {
  const items: Json[] = [];
  let cursor: string | null = null;
  let eventCursor: string | undefined;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await client.send('GET', url, { token });
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.body}`);
    const body = res.json();
    pages++;
    eventCursor ??= body.eventCursor;
    if (body.eventCursor !== eventCursor)
      throw new Error(`eventCursor moved within a listing: ${eventCursor} → ${body.eventCursor}`);
    items.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return { items, eventCursor: eventCursor!, pages };
}

/**
 * The recipe: users first (its first page's eventCursor is the earliest of all the listings that follow), then
 * groups, then each group's members. `query` adds e.g. `tenantId=` for the operator token.
 */
export async function snapshot(
  client: Client,
  token: string,
  options: { limit?: number; query?: string } = {},
): Promise<{ mirror: Mirror; eventCursor: string }> {
  const limit = options.limit ?? 100;
  const q = options.query ? `?${options.query}` : '';
  const users = await listAll(client, token, `/iam/v1/directory/users${q}`, limit);
  const groups = await listAll(client, token, `/iam/v1/directory/groups${q}`, limit);
  const mirror: Mirror = { users: new Map(), groups: new Map(), members: new Map(), deleted: new Set() };
  for (const u of users.items) mirror.users.set(u.id, u);
  for (const g of groups.items) {
    mirror.groups.set(g.id, g);
    let members: Listing;
    try {
      members = await listAll(client, token, `/iam/v1/directory/groups/${g.id}/members${q}`, limit);
    } catch (error) {
      // Deleted since the group listing: its group.deleted event follows the eventCursor.
      if (String(error).includes(': 404 ')) continue;
      throw error;
    }
    mirror.members.set(g.id, new Map(members.items.map((m) => [m.id, m.type])));
  }
  return { mirror, eventCursor: users.eventCursor };
}

function forget(mirror: Mirror, id: string): void {
  mirror.deleted.add(id);
  for (const set of mirror.members.values()) set.delete(id);
}

/** Applies events in feed order, as a consumer following docs/events.md does. */
export function applyEvents(mirror: Mirror, events: readonly Json[]): void {
  for (const e of events) {
    const d = e.data;
    switch (e.type) {
      case 'user.created':
      case 'user.updated':
      case 'user.deactivated':
      case 'user.reactivated': {
        const { changedAttributes: _, ...user } = d;
        // `roles` comes with user.created and with role changes; other user events leave it out (keep the last).
        const roles = 'roles' in user ? user.roles : mirror.users.get(d.id)?.roles;
        mirror.users.set(d.id, roles === undefined ? user : { ...user, roles });
        break;
      }
      case 'user.deleted':
        mirror.users.delete(d.id);
        forget(mirror, d.id);
        break;
      case 'group.created':
      case 'group.updated': {
        const { changedAttributes: _, ...group } = d;
        mirror.groups.set(d.id, group);
        if (!mirror.members.has(d.id)) mirror.members.set(d.id, new Map());
        break;
      }
      case 'group.deleted':
        mirror.groups.delete(d.id);
        mirror.members.delete(d.id);
        forget(mirror, d.id);
        break;
      case 'group.member_added':
        if (mirror.deleted.has(d.groupId) || mirror.deleted.has(d.memberId)) break;
        if (!mirror.members.has(d.groupId)) mirror.members.set(d.groupId, new Map());
        mirror.members.get(d.groupId)!.set(d.memberId, d.memberType);
        break;
      case 'group.member_removed':
        mirror.members.get(d.groupId)?.delete(d.memberId);
        break;
    }
  }
}

/**
 * What a mirror can be compared on. A user's `groups` and a group's `memberCount` are derived from the member
 * sets (membership changes come as member events, not as user or group events), and a group's `updatedAt` moves
 * with membership-only PATCHes, which make no `group.updated` (docs/events.md): it is left out.
 */
export function comparable(mirror: Mirror) {
  const groupsOfUser = new Map<string, { id: string; displayName: string }[]>();
  const members: Record<string, Record<string, string>> = {};
  for (const [groupId, set] of [...mirror.members].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!mirror.groups.has(groupId)) continue;
    members[groupId] = Object.fromEntries([...set].sort(([a], [b]) => (a < b ? -1 : 1)));
    for (const [memberId, type] of set) {
      if (type !== 'user') continue;
      const list = groupsOfUser.get(memberId) ?? [];
      list.push({ id: groupId, displayName: mirror.groups.get(groupId)!.displayName });
      groupsOfUser.set(memberId, list);
    }
  }
  const users = [...mirror.users.values()]
    .map((u): Json => {
      const { groups: _, scim, ...rest } = u;
      const { groups: __, ...scimRest } = scim;
      return {
        ...rest,
        scim: scimRest,
        groups: (groupsOfUser.get(u.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1)),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const groups = [...mirror.groups.values()]
    .map((g): Json => {
      const { updatedAt: _, ...rest } = g;
      return { ...rest, memberCount: Object.keys(members[g.id] ?? {}).length };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  return { users, groups, members };
}

/** Follows the feed from `after` to its end. */
export async function follow(
  client: Client,
  token: string,
  after: string,
): Promise<{ events: Json[]; cursor: string }> {
  const events: Json[] = [];
  let cursor = after;
  for (;;) {
    const res = await client.send('GET', `/iam/v1/events?limit=1000&after=${cursor}`, { token });
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${res.body}`);
    const body = res.json();
    events.push(...body.data);
    cursor = body.nextCursor;
    if (!body.hasMore) return { events, cursor };
  }
}
