// RFC 7644 protocol behaviour of the SCIM surface: auth, media types, errors, discovery, ETags, paging, Bulk, logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestApp, type TestApp } from '../support/app.ts';
import {
  CORE_GROUP,
  CORE_USER,
  ERROR,
  entraUser,
  LIST_RESPONSE,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('SCIM protocol on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let b: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await scimTenant(t.app, 'A');
    b = await scimTenant(t.app, 'B');
  });
  afterAll(() => t?.dispose());

  it('answers every route without or with a bad token with the same 401 SCIM error', async () => {
    const bodies = new Set<string>();
    for (const [method, path] of [
      ['GET', '/Users'],
      ['POST', '/Users'],
      ['GET', '/Users/x'],
      ['PATCH', '/Groups/x'],
      ['GET', '/ServiceProviderConfig'],
      ['GET', '/Schemas'],
      ['POST', '/Bulk'],
      ['GET', '/NoSuchThing'],
    ] as const) {
      for (const authorization of [
        undefined,
        'non-token',
        'Bearer ',
        `Bearer ${a.adminToken}`,
        `Bearer ${b.scimToken}`,
      ]) {
        const res = await t.app.inject({
          method,
          url: `${a.base}${path}`,
          headers: authorization ? { authorization } : {},
        });
        expect(res.statusCode, `${method} ${path} ${authorization?.slice(0, 12)}`).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
        bodies.add(res.body);
      }
    }
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!)).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
  });

  it("keeps tenants apart: another tenant's ids answer 404 exactly like unknown ids, and lookups find nothing", async () => {
    const user = (await scim(t.app, b, 'POST', `${b.base}/Users`, entraUser('secret.b@b.com', 'b-ext'))).json();
    const unknown = await scim(t.app, a, 'GET', `${a.base}/Users/00000000-0000-7000-8000-000000000000`);
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      const body =
        method === 'PUT'
          ? entraUser('x@a.com', 'x')
          : method === 'PATCH'
            ? patch({ op: 'replace', path: 'active', value: false })
            : undefined;
      const res = await scim(t.app, a, method, `${a.base}/Users/${user.id}`, body);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().detail).toBe(unknown.json().detail);
    }
    for (const filter of ['userName eq "secret.b@b.com"', 'externalId eq "b-ext"', `id eq "${user.id}"`]) {
      expect(
        (await scim(t.app, a, 'GET', `${a.base}/Users?filter=${encodeURIComponent(filter)}`)).json().totalResults,
        filter,
      ).toBe(0);
    }
    const group = (
      await scim(t.app, a, 'POST', `${a.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'A team' })
    ).json();
    const foreign = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Groups/${group.id}`,
      patch({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    );
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().scimType).toBe('invalidValue');
    // Same userName in another tenant is a separate namespace.
    expect((await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('secret.b@b.com', 'b-ext'))).statusCode).toBe(
      201,
    );
    expect((await scim(t.app, b, 'GET', `${b.base}/Users/${user.id}`)).json().active).toBe(true);
    // A token is valid only at its own tenant's URL.
    expect((await scim(t.app, a, 'GET', `${b.base}/Users/${user.id}`)).statusCode).toBe(401);
  });

  it('accepts SCIM and JSON media types with or without charset, refuses others with 415', async () => {
    const body = JSON.stringify(entraUser('media@a.com', 'media'));
    for (const type of [
      'application/scim+json',
      'application/json',
      'application/scim+json; charset=utf-8',
      'Application/JSON; Charset=UTF-8',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${a.base}/Users?filter=x`,
        headers: { authorization: `Bearer ${a.scimToken}`, 'content-type': type },
        payload: body.replace('media@a.com', `media-${type.length}-${type.charCodeAt(0)}@a.com`),
      });
      expect(res.statusCode, type).toBe(201);
    }
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'application/json; charset=utf-16',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${a.base}/Users`,
        headers: { authorization: `Bearer ${a.scimToken}`, 'content-type': type },
        payload: body,
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().schemas).toEqual([ERROR]);
    }
  });

  it('answers malformed, deep and oversized bodies with 400/413 SCIM errors and writes nothing', async () => {
    const before = (await scim(t.app, a, 'GET', `${a.base}/Users?count=0`)).json().totalResults;
    const cases: [string, number, string | undefined][] = [
      ['{"userName":', 400, 'invalidSyntax'],
      ['{"userName":"x",}', 400, 'invalidSyntax'],
      ["{'userName':'x'}", 400, 'invalidSyntax'],
      ['null', 400, 'invalidSyntax'],
      ['[]', 400, 'invalidSyntax'],
      [`\ufeff{"userName":"bom@a.com"}`, 400, 'invalidSyntax'],
      [`${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400, 'invalidSyntax'],
      [
        JSON.stringify({ schemas: [CORE_USER], userName: 'big@a.com', displayName: 'x'.repeat(1024 * 1024) }),
        413,
        undefined,
      ],
    ];
    for (const [payload, status, scimType] of cases) {
      const res = await scim(t.app, a, 'POST', `${a.base}/Users`, payload);
      expect(res.statusCode, payload.slice(0, 20)).toBe(status);
      expect(res.json().scimType, payload.slice(0, 20)).toBe(scimType);
    }
    expect((await scim(t.app, a, 'GET', `${a.base}/Users?count=0`)).json().totalResults).toBe(before);
  });

  it('describes itself truthfully: ServiceProviderConfig, ResourceTypes naming only listed Schemas, 405 on wrong methods', async () => {
    const spc = (await scim(t.app, a, 'GET', `${a.base}/ServiceProviderConfig`)).json();
    expect(spc).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000 },
      filter: { supported: true, maxResults: 1000 },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: false },
    });
    expect(spc.authenticationSchemes[0].type).toBe('oauthbearertoken');
    const schemas = (await scim(t.app, a, 'GET', `${a.base}/Schemas`)).json();
    expect(schemas.schemas).toEqual([LIST_RESPONSE]);
    const ids = schemas.Resources.map((s: { id: string }) => s.id);
    const types = (await scim(t.app, a, 'GET', `${a.base}/ResourceTypes`)).json().Resources;
    for (const type of types) {
      expect(ids).toContain(type.schema);
      for (const ext of type.schemaExtensions ?? []) expect(ids).toContain(ext.schema);
    }
    const user = (await scim(t.app, a, 'GET', `${a.base}/Schemas/${CORE_USER}`)).json();
    const userName = user.attributes.find((x: { name: string }) => x.name === 'userName');
    expect(userName).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    const wrong = await scim(t.app, a, 'DELETE', `${a.base}/ServiceProviderConfig`);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.json().schemas).toEqual([ERROR]);
    const missing = await scim(t.app, a, 'GET', `${a.base}/Nope`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().schemas).toEqual([ERROR]);
  });

  it('uses ETags: If-None-Match → 304, stale If-Match on PUT/PATCH/DELETE → 412 with nothing written', async () => {
    const user = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('etag@a.com', 'etag'))).json();
    const url = `${a.base}/Users/${user.id}`;
    const got = await scim(t.app, a, 'GET', url);
    expect(got.headers.etag).toBe('W/"1"');
    expect((await scim(t.app, a, 'GET', url, undefined, { 'if-none-match': 'W/"1"' })).statusCode).toBe(304);
    const ok = await scim(t.app, a, 'PATCH', url, patch({ op: 'replace', path: 'title', value: 'A' }), {
      'if-match': 'W/"1"',
    });
    expect(ok.statusCode).toBe(200);
    const stale = await scim(t.app, a, 'PATCH', url, patch({ op: 'replace', path: 'title', value: 'B' }), {
      'if-match': 'W/"1"',
    });
    expect(stale.statusCode).toBe(412);
    expect(
      (await scim(t.app, a, 'PUT', url, entraUser('etag@a.com', 'etag'), { 'if-match': 'W/"1"' })).statusCode,
    ).toBe(412);
    expect((await scim(t.app, a, 'DELETE', url, undefined, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
    expect((await scim(t.app, a, 'GET', url)).json().title).toBe('A');
  });

  it("answers a user's writes with the same groups a GET shows (the write's own transaction reads them)", async () => {
    const created = await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('grouped@a.com', 'grouped'));
    expect(created.statusCode).toBe(201);
    expect(created.json().groups ?? []).toEqual([]);
    const user = created.json();
    const url = `${a.base}/Users/${user.id}`;
    for (const name of ['Grouped 1', 'Grouped 2']) {
      const g = await scim(t.app, a, 'POST', `${a.base}/Groups`, {
        schemas: [CORE_GROUP],
        displayName: name,
        members: [{ value: user.id }],
      });
      expect(g.statusCode).toBe(201);
    }
    const shown = (await scim(t.app, a, 'GET', url)).json().groups;
    expect(shown.map((g: { display: string }) => g.display).sort()).toEqual(['Grouped 1', 'Grouped 2']);
    const patched = await scim(t.app, a, 'PATCH', url, patch({ op: 'replace', path: 'title', value: 'T' }));
    expect(patched.statusCode).toBe(200);
    expect(patched.json().groups).toEqual(shown);
    const replaced = await scim(t.app, a, 'PUT', url, entraUser('grouped@a.com', 'grouped'));
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().groups).toEqual(shown);
    // A projection that leaves groups out still leaves them out.
    const slim = await scim(
      t.app,
      a,
      'PATCH',
      `${url}?excludedAttributes=groups`,
      patch({ op: 'replace', path: 'title', value: 'U' }),
    );
    expect(slim.json().groups).toBeUndefined();
  });

  it('keeps PATCH atomic: a failing last operation leaves the resource unchanged and names its index', async () => {
    const user = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('atomic@a.com', 'atomic'))).json();
    const res = await scim(
      t.app,
      a,
      'PATCH',
      `${a.base}/Users/${user.id}`,
      patch(
        { op: 'replace', path: 'displayName', value: 'Changed' },
        { op: 'replace', path: 'title', value: 'Changed' },
        { op: 'add', path: 'nickName', value: 'Changed' },
        { op: 'replace', path: 'id', value: 'forged' },
      ),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().scimType).toBe('mutability');
    expect(res.json().detail).toContain('3');
    const after = (await scim(t.app, a, 'GET', `${a.base}/Users/${user.id}`)).json();
    expect(after).toEqual(user);
  });

  it('pages with cursors (RFC 9865) without gaps or duplicates and rejects foreign cursors', async () => {
    const c = await scimTenant(t.app, 'Cursor');
    for (let i = 0; i < 7; i++) await scim(t.app, c, 'POST', `${c.base}/Users`, entraUser(`cur${i}@c.com`, `c${i}`));
    const ids: string[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const page = (await scim(t.app, c, 'GET', `${c.base}/Users?count=3&cursor=${cursor}`)).json();
      expect(page.totalResults).toBe(7);
      expect(page.startIndex).toBeUndefined();
      ids.push(...page.Resources.map((r: { id: string }) => r.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    const bad = await scim(t.app, c, 'GET', `${c.base}/Users?count=3&cursor=garbage!`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().scimType).toBe('invalidCursor');
  });

  it('sorts by any simple attribute, case-insensitively where the schema says so, with or without cursors', async () => {
    const s = await scimTenant(t.app, 'Sorting');
    const names = ['delta@s.com', 'Alpha@s.com', 'charlie@s.com', 'Bravo@s.com'];
    for (const [i, n] of names.entries()) {
      await scim(
        t.app,
        s,
        'POST',
        `${s.base}/Users`,
        entraUser(n, `s${i}`, { name: { familyName: `F${9 - i}` }, emails: [{ value: `z${i}@s.com`, primary: true }] }),
      );
    }
    const order = async (query: string) =>
      (await scim(t.app, s, 'GET', `${s.base}/Users?${query}`))
        .json()
        .Resources.map((r: { userName: string }) => r.userName);
    expect(await order('sortBy=userName')).toEqual(['Alpha@s.com', 'Bravo@s.com', 'charlie@s.com', 'delta@s.com']);
    expect(await order('sortBy=userName&sortOrder=descending')).toEqual([
      'delta@s.com',
      'charlie@s.com',
      'Bravo@s.com',
      'Alpha@s.com',
    ]);
    expect(await order('sortBy=name.familyName')).toEqual([
      'Bravo@s.com',
      'charlie@s.com',
      'Alpha@s.com',
      'delta@s.com',
    ]);
    expect(await order('sortBy=emails.value&sortOrder=descending')).toEqual([
      'Bravo@s.com',
      'charlie@s.com',
      'Alpha@s.com',
      'delta@s.com',
    ]);
    const paged: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const page = (
        await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=userName&sortOrder=descending&count=3&cursor=${cursor}`)
      ).json();
      paged.push(...page.Resources.map((r: { userName: string }) => r.userName));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(paged).toEqual(['delta@s.com', 'charlie@s.com', 'Bravo@s.com', 'Alpha@s.com']);
    // Missing values go last ascending and first descending, with and without cursors.
    const nick = async (query: string) =>
      (await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=title&${query}`))
        .json()
        .Resources.map((r: { userName: string }) => r.userName);
    const all = (await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=userName`)).json().Resources as {
      id: string;
      userName: string;
    }[];
    for (const [i, u] of all.slice(0, 2).entries()) {
      await scim(t.app, s, 'PATCH', `${s.base}/Users/${u.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'title', value: `T${i}` }],
      });
    }
    const titled = ['Alpha@s.com', 'Bravo@s.com'];
    expect((await nick('')).slice(0, 2)).toEqual(titled);
    expect((await nick('sortOrder=descending')).slice(2)).toEqual(['Bravo@s.com', 'Alpha@s.com']);
    const walked: string[] = [];
    let next = '';
    for (let i = 0; i < 6; i++) {
      const page = (
        await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=title&sortOrder=descending&count=1&cursor=${next}`)
      ).json();
      walked.push(...page.Resources.map((r: { userName: string }) => r.userName));
      if (!page.nextCursor) break;
      next = page.nextCursor;
    }
    expect(walked).toEqual(await nick('sortOrder=descending'));
    expect(new Set(walked).size).toBe(4);
    const bad = await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=${encodeURIComponent('userName;drop')}`);
    expect(bad.statusCode).toBe(400);
    expect((await scim(t.app, s, 'GET', `${s.base}/Users?sortBy=members`)).statusCode).toBe(400);
  });

  it('validates paging parameters per RFC 7644 §3.4.2.4', async () => {
    const negative = (await scim(t.app, a, 'GET', `${a.base}/Users?count=-1`)).json();
    expect(negative.Resources).toEqual([]);
    expect(negative.itemsPerPage).toBe(0);
    expect((await scim(t.app, a, 'GET', `${a.base}/Users?startIndex=0&count=1`)).json().startIndex).toBe(1);
    const huge = (await scim(t.app, a, 'GET', `${a.base}/Users?count=1000000000`)).json();
    expect(huge.itemsPerPage).toBeLessThanOrEqual(1000);
    const nan = await scim(t.app, a, 'GET', `${a.base}/Users?count=abc`);
    expect(nan.statusCode).toBe(400);
    expect(nan.json().scimType).toBe('invalidValue');
    const filter = await scim(t.app, a, 'GET', `${a.base}/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(filter.statusCode).toBe(400);
    expect(filter.json().scimType).toBe('invalidFilter');
  });

  it('searches every resource type at the root; a filter one type cannot answer selects none of it', async () => {
    const r = await scimTenant(t.app, 'Root');
    await scim(t.app, r, 'POST', `${r.base}/Users`, entraUser('root@r.com', 'root-x'));
    await scim(t.app, r, 'POST', `${r.base}/Groups`, {
      schemas: [CORE_GROUP],
      displayName: 'Root group',
      externalId: 'root-x',
    });
    const search = (filter: string) =>
      scim(t.app, r, 'POST', `${r.base}/.search`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter,
      });
    const both = (await search('externalId eq "root-x"')).json();
    expect(both.totalResults).toBe(2);
    expect(both.Resources.map((x: { meta: { resourceType: string } }) => x.meta.resourceType)).toEqual([
      'User',
      'Group',
    ]);
    const users = (await search('userName eq "root@r.com"')).json();
    expect(users.totalResults).toBe(1);
    expect((await search('nothing eq "x"')).statusCode).toBe(400);
  });

  it('runs Bulk operations in order with bulkId references and failOnErrors', async () => {
    const res = await scim(t.app, a, 'POST', `${a.base}/Bulk`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      failOnErrors: 1,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [CORE_USER], userName: 'bulk1@a.com' } },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g1',
          data: { schemas: [CORE_GROUP], displayName: 'Bulk group', members: [{ value: 'bulkId:u1' }] },
        },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [CORE_USER], userName: 'BULK1@a.com' } },
        { method: 'POST', path: '/Users', bulkId: 'never', data: { schemas: [CORE_USER], userName: 'never@a.com' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const ops = res.json().Operations;
    expect(ops.map((o: { status: string }) => o.status)).toEqual(['201', '201', '409']);
    const groupId = ops[1].location.split('/').pop();
    const members = (await scim(t.app, a, 'GET', `${a.base}/Groups/${groupId}`)).json().members;
    expect(members).toHaveLength(1);
    expect(ops[0].location).toContain(members[0].value);
  });

  it('records every request in the provisioning log, readable by the tenant admin with filters', async () => {
    const l = await scimTenant(t.app, 'Logs');
    const user = (
      await scim(t.app, l, 'POST', `${l.base}/Users`, {
        ...entraUser('log@l.com', 'log'),
        password: 'never-log-me-123',
      })
    ).json();
    await scim(t.app, l, 'POST', `${l.base}/Users`, entraUser('log@l.com', 'log'));
    await scim(
      t.app,
      l,
      'PATCH',
      `${l.base}/Users/${user.id}`,
      patch({ op: 'Replace', path: 'active', value: 'False' }),
    );
    const all = await call(t.app, 'GET', '/iam/v1/scim/logs', { token: l.adminToken });
    expect(all.statusCode).toBe(200);
    const items = all.json().items;
    expect(items.map((i: { operation: string; status: number }) => `${i.operation}:${i.status}`)).toEqual([
      'patch:200',
      'create:409',
      'create:201',
    ]);
    expect(items[0]).toMatchObject({
      method: 'PATCH',
      resourceType: 'User',
      resourceId: user.id,
      tokenId: l.scimTokenId,
      summary: { changedAttributes: ['active'] },
    });
    expect(items[1]).toMatchObject({ scimType: 'uniqueness', summary: { error: expect.any(String) } });
    expect(all.body).not.toContain('never-log-me');
    const failures = await call(t.app, 'GET', '/iam/v1/scim/logs?outcome=failure', { token: l.adminToken });
    expect(failures.json().items).toHaveLength(1);
    const byResource = await call(t.app, 'GET', `/iam/v1/scim/logs?resourceId=${user.id}`, { token: l.adminToken });
    expect(byResource.json().items.map((i: { operation: string }) => i.operation)).toEqual(['patch', 'create']);
    // Another tenant's admin sees none of it.
    expect((await call(t.app, 'GET', '/iam/v1/scim/logs', { token: a.adminToken })).body).not.toContain(user.id);
  });

  it('refuses a revoked token on the very next request; what it provisioned stays', async () => {
    const r = await scimTenant(t.app, 'Revoke');
    const user = (await scim(t.app, r, 'POST', `${r.base}/Users`, entraUser('stay@r.com', 'stay'))).json();
    expect((await call(t.app, 'DELETE', `/iam/v1/scim/${r.scimTokenId}`, { token: r.adminToken })).statusCode).toBe(
      204,
    );
    expect((await scim(t.app, r, 'GET', `${r.base}/Users/${user.id}`)).statusCode).toBe(401);
    const next = (
      await call(t.app, 'POST', '/iam/v1/scim', {
        token: r.adminToken,
        body: { provider: 'entra', providerDisplayName: 'x' },
      })
    ).json();
    expect((await scim(t.app, { scimToken: next.token }, 'GET', `${r.base}/Users/${user.id}`)).json().userName).toBe(
      'stay@r.com',
    );
  });

  it('loses no member when PATCHes of one group race, and re-adds stay single', async () => {
    const g = await scimTenant(t.app, 'Race group');
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push((await scim(t.app, g, 'POST', `${g.base}/Users`, entraUser(`m${i}@g.com`, `m${i}`))).json().id);
    const group = (
      await scim(t.app, g, 'POST', `${g.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Racy' })
    ).json();
    const batches = Array.from({ length: 10 }, (_, b) => ids.slice(b * 4, b * 4 + 4));
    const results = await Promise.all(
      [...batches, ...batches].map((batch) =>
        scim(
          t.app,
          g,
          'PATCH',
          `${g.base}/Groups/${group.id}`,
          patch({ op: 'Add', path: 'members', value: batch.map((value) => ({ value })) }),
        ),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(204));
    // Each batch is sent twice: the first to commit adds its members (a new version), the second changes nothing
    // and is not a write (it answers the version it found). So versions 2 to 11 are each some write's own, and
    // nothing goes past 11.
    const versions = results.map((r) => Number(/^W\/"(\d+)"$/.exec(String(r.headers.etag))?.[1]));
    expect(new Set(versions.filter((v) => v >= 2))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i + 2)));
    expect(Math.max(...versions)).toBe(11);
    const members = (await scim(t.app, g, 'GET', `${g.base}/Groups/${group.id}`))
      .json()
      .members.map((m: { value: string }) => m.value);
    expect(members.sort()).toEqual([...ids].sort());
    expect((await scim(t.app, g, 'GET', `${g.base}/Groups/${group.id}`)).json().meta.version).toBe('W/"11"');
  });

  it('never resurrects a user when PATCH and DELETE race (PATCH is applied before the delete, or 404)', async () => {
    const c = await scimTenant(t.app, 'Patch vs delete');
    const ids: string[] = [];
    for (let i = 0; i < 15; i++)
      ids.push((await scim(t.app, c, 'POST', `${c.base}/Users`, entraUser(`pd${i}@c.com`, `pd${i}`))).json().id);
    const outcomes = await Promise.all(
      ids.flatMap((id) => [
        scim(t.app, c, 'PATCH', `${c.base}/Users/${id}`, patch({ op: 'Replace', path: 'displayName', value: 'late' })),
        scim(t.app, c, 'DELETE', `${c.base}/Users/${id}`),
        scim(t.app, c, 'PATCH', `${c.base}/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'False' })),
      ]),
    );
    for (const [i, res] of outcomes.entries()) {
      expect(i % 3 === 1 ? [204] : [200, 404], `${i}: ${res.body}`).toContain(res.statusCode);
    }
    for (const id of ids) expect((await scim(t.app, c, 'GET', `${c.base}/Users/${id}`)).statusCode).toBe(404);
    expect((await scim(t.app, c, 'GET', `${c.base}/Users?count=0`)).json().totalResults).toBe(0);
  });

  it('gives one 201 and 409s, never a 500, when creates of one userName race', async () => {
    const results = await Promise.all(
      ['race@a.com', 'RACE@a.com', 'Race@A.com', 'race@a.com', 'rAce@a.com'].map((n) =>
        scim(t.app, a, 'POST', `${a.base}/Users`, entraUser(n, n)),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
  });
});
