// PATCH with a path naming the enterprise extension itself (RFC 7644 §3.5.2), in Entra's and Okta's shapes, on
// both stores: add merges, replace sets the attributes given, remove deletes the extension and its schemas entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_USER,
  ENTERPRISE_USER,
  ERROR,
  entraUser,
  oktaUser,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('PATCH of the enterprise extension as a whole on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app);
  });
  afterAll(() => t?.dispose());

  const users = () => `${a.base}/Users`;
  const create = async (body: object) => {
    const res = await scim(t.app, a, 'POST', users(), body);
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; schemas: string[] };
  };
  const patchUser = (id: string, query: string, ...ops: object[]) =>
    scim(t.app, a, 'PATCH', `${users()}/${id}${query}`, patch(...ops));
  const get = async (id: string) => (await scim(t.app, a, 'GET', `${users()}/${id}`)).json();
  const findByDepartment = async (department: string) =>
    (
      await scim(
        t.app,
        a,
        'GET',
        `${users()}?filter=${encodeURIComponent(`${ENTERPRISE_USER}:department eq "${department}"`)}`,
      )
    ).json().totalResults;

  it('Entra default mode: Add merges (bare manager id), Replace keeps what it does not name, sub-attribute paths work', async () => {
    const boss = await create(entraUser('boss@contoso.example', 'boss'));
    const user = await create(entraUser('ext-entra@contoso.example', 'ext-entra'));
    expect(user.schemas).toEqual([CORE_USER]);

    const added = await patchUser(user.id, '', {
      op: 'Add',
      path: ENTERPRISE_USER,
      value: { department: 'R&D', manager: boss.id },
    });
    expect(added.statusCode).toBe(200);
    expect(added.json().schemas).toEqual([CORE_USER, ENTERPRISE_USER]);
    expect(added.json()[ENTERPRISE_USER]).toEqual({ department: 'R&D', manager: { value: boss.id } });

    const replaced = await patchUser(user.id, '', {
      op: 'Replace',
      path: ENTERPRISE_USER,
      value: { department: 'Ops', employeeNumber: '42' },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()[ENTERPRISE_USER]).toEqual({
      department: 'Ops',
      manager: { value: boss.id },
      employeeNumber: '42',
    });

    const manager = await patchUser(user.id, '', {
      op: 'Replace',
      path: `${ENTERPRISE_USER}:manager.value`,
      value: 'someone-else',
    });
    expect(manager.statusCode).toBe(200);
    expect((await get(user.id))[ENTERPRISE_USER]).toEqual({
      department: 'Ops',
      manager: { value: 'someone-else' },
      employeeNumber: '42',
    });
    expect(await findByDepartment('ops')).toBe(1);

    // Entra clears with "": the whole extension goes.
    const cleared = await patchUser(user.id, '', { op: 'Replace', path: ENTERPRISE_USER, value: '' });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).not.toHaveProperty(ENTERPRISE_USER);
    expect(cleared.json().schemas).toEqual([CORE_USER]);
  });

  it('Entra aadOptscim062020: lower-case replace naming the extension', async () => {
    const user = await create(entraUser('ext-flag@contoso.example', 'ext-flag'));
    const res = await patchUser(user.id, '?aadOptscim062020', {
      op: 'replace',
      path: ENTERPRISE_USER,
      value: { costCenter: 'CC-1', division: 'North' },
    });
    expect(res.statusCode).toBe(200);
    expect((await get(user.id))[ENTERPRISE_USER]).toEqual({ costCenter: 'CC-1', division: 'North' });
  });

  it('Okta: add, then remove deletes the extension and its URN from schemas; a second remove changes nothing', async () => {
    const user = await create({ ...oktaUser('ext-okta@example.com'), [ENTERPRISE_USER]: { department: 'Sales' } });
    expect(user.schemas).toEqual([CORE_USER, ENTERPRISE_USER]);
    const added = await patchUser(user.id, '', {
      op: 'add',
      path: ENTERPRISE_USER,
      value: { organization: 'Okta Inc' },
    });
    expect(added.json()[ENTERPRISE_USER]).toEqual({ department: 'Sales', organization: 'Okta Inc' });
    expect(await findByDepartment('Sales')).toBe(1);

    const removed = await patchUser(user.id, '', { op: 'remove', path: ENTERPRISE_USER });
    expect(removed.statusCode).toBe(200);
    const etag = removed.headers.etag;
    for (const body of [removed.json(), await get(user.id)]) {
      expect(body.schemas).toEqual([CORE_USER]);
      expect(body).not.toHaveProperty(ENTERPRISE_USER);
    }
    expect(await findByDepartment('Sales')).toBe(0);

    const again = await patchUser(user.id, '', { op: 'remove', path: ENTERPRISE_USER });
    expect(again.statusCode).toBe(200);
    expect(again.headers.etag).toBe(etag);
  });

  it('refuses a remove carrying attributes and a value that is not an object, changing nothing', async () => {
    const user = await create({ ...oktaUser('ext-bad@example.com'), [ENTERPRISE_USER]: { department: 'Sales' } });
    const before = await get(user.id);
    for (const [op, detail] of [
      [
        { op: 'remove', path: ENTERPRISE_USER, value: { department: 'Sales' } },
        `Operations[0]: remove of ${ENTERPRISE_USER} takes no value; name an attribute in the path`,
      ],
      [{ op: 'Add', path: ENTERPRISE_USER, value: 'Sales' }, `Operations[0]: ${ENTERPRISE_USER} must be an object`],
    ] as const) {
      const res = await patchUser(user.id, '', op);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ schemas: [ERROR], status: '400', scimType: 'invalidValue', detail });
    }
    expect(await get(user.id)).toEqual(before);
  });
});
