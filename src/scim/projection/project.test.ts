import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrRef } from '../path/types.ts';
import { createRegistry, scimRegistry } from '../schema/registry.ts';
import type { AttributeDefinition } from '../schema/types.ts';
import {
  compileProjection,
  type ProjectionRequest,
  parseAttributeList,
  project,
  storedDataIsDefaultShape,
} from './project.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: [USER, ENT],
  id: 'u1',
  userName: 'bjensen',
  displayName: 'Babs',
  password: 'never',
  name: { givenName: 'B', familyName: 'J' },
  emails: [{ value: 'a@b.c', type: 'work', primary: true }],
  groups: [{ value: 'g1', display: 'Eng' }],
  [ENT]: { employeeNumber: '7', department: 'R&D' },
  meta: { resourceType: 'User', location: 'https://x/Users/u1', version: 'W/"1"' },
};
const list = (text: string) => parseAttributeList(text, 'User', scimRegistry);

describe('project', () => {
  it('returns default attributes but never the password', () => {
    const out = project(user, 'User', scimRegistry);
    const { password: _p, ...expected } = user;
    expect(out).toEqual(expected);
  });

  it('keeps only requested attributes plus those always returned (id, schemas)', () => {
    expect(project(user, 'User', scimRegistry, { attributes: list('userName,emails.value') })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      userName: 'bjensen',
      emails: [{ value: 'a@b.c' }],
    });
    expect(project(user, 'User', scimRegistry, { attributes: list(`${ENT}:employeeNumber`) })).toEqual({
      schemas: user.schemas,
      id: 'u1',
      [ENT]: { employeeNumber: '7' },
    });
  });

  it('drops excluded attributes and sub-attributes, but never id', () => {
    const out = project(user, 'User', scimRegistry, { excludedAttributes: list('groups,name.familyName,id,meta') });
    expect(out.groups).toBeUndefined();
    expect(out.meta).toBeUndefined();
    expect(out.name).toEqual({ givenName: 'B' });
    expect(out.id).toBe('u1');
  });

  it('parses attribute lists case-insensitively, ignores unknown names, refuses malformed ones', () => {
    expect(list('USERNAME, Name.GivenName, nothing')).toEqual([
      { schema: USER, attribute: 'userName' },
      { schema: USER, attribute: 'name', subAttribute: 'givenName' },
    ]);
    expect(() => list('__proto__')).toThrow();
    expect(() => list('a;b')).toThrow();
  });
});

// The compiled projection shares unchanged values and resolves each name once; this reference re-resolves every
// attribute of every resource and copies every complex value, as the first implementation did. Both must agree.
function referenceProject(resource: Record<string, unknown>, request: ProjectionRequest): Record<string, unknown> {
  const type = scimRegistry.resourceType('User')!;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const match = (list: readonly AttrRef[] | undefined, schema: string, name: string) =>
    (list ?? []).filter((r) => r.schema === schema && r.attribute === name);
  const complex = (value: unknown, def: AttributeDefinition, keep: (s: AttributeDefinition) => boolean) => {
    const one = (v: unknown) => {
      if (!isObj(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const sub = def.subAttributes?.find((s) => s.name === k);
        if (sub && sub.returned !== 'never' && keep(sub)) out[k] = x;
      }
      return out;
    };
    return Array.isArray(value) ? value.map(one) : one(value);
  };
  const attr = (def: AttributeDefinition, schema: string, value: unknown): unknown => {
    if (def.returned === 'never') return undefined;
    if (def.returned === 'always') return value;
    if (request.attributes) {
      const refs = match(request.attributes, schema, def.name);
      if (refs.length === 0) return undefined;
      if (refs.some((r) => r.subAttribute === undefined) || def.type !== 'complex') return value;
      const subs = new Set(refs.map((r) => r.subAttribute));
      return complex(value, def, (s) => s.returned === 'always' || subs.has(s.name));
    }
    if (def.returned === 'request') return undefined;
    const excluded = match(request.excludedAttributes, schema, def.name);
    if (excluded.some((r) => r.subAttribute === undefined)) return undefined;
    if (def.type !== 'complex') return value;
    const subs = new Set(excluded.map((r) => r.subAttribute));
    return complex(value, def, (s) => s.returned === 'always' || (s.returned !== 'request' && !subs.has(s.name)));
  };
  const out: Record<string, unknown> = {};
  const extensions = new Set(type.schemaExtensions.map((e) => e.schema));
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'schemas') {
      out.schemas = value;
      continue;
    }
    if (extensions.has(key) && isObj(value)) {
      const ext: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value)) {
        const def = scimRegistry.resolve('User', { schema: key, attribute: name })?.attribute;
        const shaped = def ? attr(def, key, v) : undefined;
        if (shaped !== undefined) ext[name] = shaped;
      }
      if (Object.keys(ext).length > 0) out[key] = ext;
      continue;
    }
    const found = scimRegistry.resolve('User', { schema: type.schema, attribute: key });
    if (!found) continue;
    const shaped = attr(found.attribute, type.schema, value);
    if (shaped !== undefined) out[key] = shaped;
  }
  return out;
}

describe('compiled projection', () => {
  const names = [
    'id',
    'userName',
    'displayName',
    'password',
    'name',
    'name.givenName',
    'name.familyName',
    'emails',
    'emails.value',
    'emails.primary',
    'groups',
    'groups.display',
    'meta',
    'meta.location',
    'active',
    'bogus',
    `${ENT}:employeeNumber`,
    `${ENT}:manager`,
    `${ENT}:manager.value`,
  ];
  const refs = fc.subarray(names).map((picked) => list(picked.join(',')));
  const value = fc.oneof(fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null));
  const sub = fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', 'givenName', 'x', '$ref'), value);
  const resource = fc.record(
    {
      schemas: fc.constant([USER, ENT]),
      id: fc.string({ maxLength: 3 }),
      userName: value,
      password: value,
      nickName: value,
      unknownAttr: value,
      name: fc.oneof(sub, value),
      emails: fc.array(sub, { maxLength: 3 }),
      groups: fc.array(sub, { maxLength: 2 }),
      meta: fc.dictionary(fc.constantFrom('location', 'version', 'resourceType', 'other'), value),
      [ENT]: fc.oneof(fc.dictionary(fc.constantFrom('employeeNumber', 'department', 'nope'), value), value),
    },
    { requiredKeys: ['schemas'] },
  );

  it('agrees with the per-resource reference on random resources and projections', () => {
    fc.assert(
      fc.property(resource, refs, refs, fc.boolean(), (r, attributes, excluded, useAttributes) => {
        const request: ProjectionRequest = useAttributes ? { attributes } : { excludedAttributes: excluded };
        const compiled = compileProjection('User', scimRegistry, request);
        expect(compiled(r)).toEqual(referenceProject(r, request));
        expect(compiled(r)).toEqual(referenceProject(r, request)); // a compiled projection is reusable
      }),
      { numRuns: 2000 },
    );
  });
});

describe('storedDataIsDefaultShape', () => {
  it('holds for Roster’s User and Group, whose only never-returned attribute is the write-only password', () => {
    expect(storedDataIsDefaultShape('User', scimRegistry)).toBe(true);
    expect(storedDataIsDefaultShape('Group', scimRegistry)).toBe(true);
    // The users use case splits `password` off before storing; any other write-only attribute would need the same.
    const writeOnly = scimRegistry.schemas.flatMap((s) =>
      s.attributes.filter((a) => a.mutability === 'writeOnly').map((a) => `${s.id}:${a.name}`),
    );
    expect(writeOnly).toEqual([`${USER}:password`]);
  });

  it('fails for a schema with an attribute returned only on request', () => {
    const withRequest = createRegistry({
      schemas: scimRegistry.schemas.map((s) =>
        s.id === USER
          ? {
              ...s,
              attributes: s.attributes.map((a) => (a.name === 'nickName' ? { ...a, returned: 'request' as const } : a)),
            }
          : s,
      ),
      resourceTypes: scimRegistry.resourceTypes,
    });
    expect(storedDataIsDefaultShape('User', withRequest)).toBe(false);
    expect(storedDataIsDefaultShape('Group', withRequest)).toBe(true);
  });
});
