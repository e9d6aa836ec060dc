// Entra's four user requests, exactly as the benches send them: a GET by id, the `userName eq` lookup it sends
// before a create, a create, and the Replace PATCH. Users are picked across the seeded store by a stride.
import type { RequestSpec } from './load.ts';
import { benchUser, type Seeded } from './seed.ts';

/** Entra's PATCH of a user: one Replace of displayName, as its JSON body (`i` makes each name new). */
export function entraReplaceBody(i: number): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Replace', path: 'displayName', value: `Renamed ${i}` }],
  });
}

export interface UserRequests {
  readonly get: (i: number) => RequestSpec;
  readonly lookup: (i: number) => RequestSpec;
  /** Each call creates a user no earlier call of this set created, numbered from `firstNewUser`. */
  readonly post: (i: number) => RequestSpec;
  readonly patch: (i: number) => RequestSpec;
}

export function userRequests(seeded: Seeded, firstNewUser: number): UserRequests {
  const base = `/${seeded.tenantId}/api/scim/v2`;
  const auth = { authorization: `Bearer ${seeded.scimToken}` };
  const json = { ...auth, 'content-type': 'application/scim+json; charset=utf-8' };
  const pick = (i: number) => (i * 7919) % seeded.userIds.length;
  let created = 0;
  return {
    get: (i) => ({ method: 'GET', path: `${base}/Users/${seeded.userIds[pick(i)]}`, headers: auth }),
    lookup: (i) => ({
      method: 'GET',
      path: `${base}/Users?filter=${encodeURIComponent(`userName eq "${seeded.userNames[pick(i)]}"`)}`,
      headers: auth,
    }),
    post: () => ({
      method: 'POST',
      path: `${base}/Users`,
      body: JSON.stringify(benchUser(firstNewUser + created++)),
      headers: json,
    }),
    patch: (i) => ({
      method: 'PATCH',
      path: `${base}/Users/${seeded.userIds[pick(i)]}`,
      body: entraReplaceBody(i),
      headers: json,
    }),
  };
}
