// Security plan §4.1 (bad inputs, B1–B20 except the socket-level B5/B19, which are in http-limits.test.ts):
// hostile and odd requests against the SCIM surface (and, for B14, every surface) answer with SCIM errors or
// problem+json of the right kind — never a 500 — write nothing, and echo nothing back. Both stores.
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/http/redact.ts';
import { call, OPERATOR_TOKEN, SEED_001_PROVIDER, startTestApp, type TestApp } from '../support/app.ts';
import { recordQueries } from '../support/query-log.ts';
import {
  CORE_GROUP,
  CORE_USER,
  ERROR,
  entraUser,
  type Method,
  patch,
  type ScimTenant,
  scim,
  scimTenant,
} from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

const SCIM_JSON = 'application/scim+json; charset=utf-8';

describe.each(STORE_KINDS)('bad inputs on %s', (kind) => {
  let t: TestApp;
  let a: ScimTenant;
  let log = '';
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    t = await startTestApp(kind, {}, pino({ level: 'info', redact: { paths: REDACT_PATHS } }, sink));
    a = await scimTenant(t.app, 'Bad inputs');
    userId = (await scim(t.app, a, 'POST', `${a.base}/Users`, entraUser('base@a.com', 'base'))).json().id;
    groupId = (await scim(t.app, a, 'POST', `${a.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Base' })).json()
      .id;
  });
  afterAll(() => t?.dispose());

  const s = (method: Method, path: string, body?: unknown, headers?: Record<string, string>) =>
    scim(t.app, a, method, `${a.base}${path}`, body, headers);
  const total = async (type = 'Users') => (await s('GET', `/${type}?count=0`)).json().totalResults as number;
  const snapshot = async () => ({
    users: await total(),
    groups: await total('Groups'),
    user: (await s('GET', `/Users/${userId}`)).body,
    group: (await s('GET', `/Groups/${groupId}`)).body,
  });
  const expectScimError = (
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    scimType?: string,
  ) => {
    expect(res.headers['content-type']).toBe(SCIM_JSON);
    expect(res.json()).toMatchObject({ schemas: [ERROR], status: String(status) });
    expect(res.statusCode).toBe(status);
    if (scimType) expect((res.json() as { scimType?: string }).scimType).toBe(scimType);
  };

  it('B1: malformed JSON on POST, PUT and PATCH is 400 invalidSyntax, writes nothing, logs one warn line without the body', async () => {
    const before = await snapshot();
    const marker = 'B1-marker-never-logged';
    const payloads = [
      `{"userName":"${marker}"`,
      `{"userName":"${marker}",}`,
      `{'userName':'${marker}'}`,
      `{"userName":"${marker}","n":NaN}`,
      `{"userName":"${marker}" /* comment */}`,
      `\ufeff{"userName":"${marker}"}`,
      '',
      'null',
      `["${marker}"]`,
      '"just a string"',
      'true',
    ];
    let n = 0;
    for (const payload of payloads) {
      for (const [method, path] of [
        ['POST', '/Users'],
        ['PUT', `/Users/${userId}`],
        ['PATCH', `/Users/${userId}`],
        ['PATCH', `/Groups/${groupId}`],
      ] as const) {
        const reqId = `b1-${n++}`;
        const res = await s(method, path, payload, { 'x-request-id': reqId });
        expectScimError(res, 400, 'invalidSyntax');
        expect(res.body).not.toContain(marker);
        const lines = log
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((l) => l.reqId === reqId);
        expect(
          lines.filter((l) => l.level === 40),
          `${method} ${payload.slice(0, 20)}`,
        ).toHaveLength(1);
        expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      }
    }
    expect(log).not.toContain(marker);
    expect(await snapshot()).toEqual(before);
  });

  it('B2: a key given twice in one object (also differing only in case, or escaped) is 400 invalidSyntax', async () => {
    const before = await snapshot();
    const cases: [Method, string, string][] = [
      ['POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"b2@a.com","userName":"admin@a.com"}`],
      ['POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"b2@a.com","USERNAME":"admin@a.com"}`],
      ['POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"b2@a.com","user\\u004eame":"admin@a.com"}`],
      ['POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"b2@a.com","name":{"givenName":"a","givenName":"b"}}`],
      [
        'PATCH',
        `/Users/${userId}`,
        `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","op":"remove","path":"title","value":"x"}]}`,
      ],
      ['PUT', `/Groups/${groupId}`, `{"schemas":["${CORE_GROUP}"],"displayName":"Base","displayName":"Admins"}`],
    ];
    for (const [method, path, body] of cases) expectScimError(await s(method, path, body), 400, 'invalidSyntax');
    expect(await snapshot()).toEqual(before);
    // The same key in sibling objects is not a duplicate.
    const ok = await s(
      'POST',
      '/Users',
      `{"schemas":["${CORE_USER}"],"userName":"b2@a.com","emails":[{"value":"x@a.com","type":"work"},{"value":"y@a.com","type":"home"}]}`,
    );
    expect(ok.statusCode).toBe(201);
  });

  it('B3: SCIM and JSON media types in any case, with charset, and GET without a Content-Type are accepted', async () => {
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `${a.base}/Users?filter=userName%20eq%20%22x%22`,
          headers: { authorization: `Bearer ${a.scimToken}` },
        })
      ).statusCode,
    ).toBe(200);
    let i = 0;
    for (const type of [
      'application/scim+json',
      'application/json',
      'APPLICATION/SCIM+JSON; CHARSET="utf-8"',
      'application/json;charset=UTF8',
    ]) {
      const name = `b3-${i++}@a.com`;
      const created = await s('POST', '/Users', entraUser(name, name), { 'content-type': type });
      expect(created.statusCode, type).toBe(201);
      const patched = await s(
        'PATCH',
        `/Users/${created.json().id}`,
        patch({ op: 'replace', path: 'title', value: 'T' }),
        {
          'content-type': type,
        },
      );
      expect(patched.statusCode, type).toBe(200);
    }
  });

  it('B4: other media types, and a body without Content-Type, are 415 SCIM errors and write nothing', async () => {
    const before = await snapshot();
    const body = JSON.stringify(entraUser('b4@a.com', 'b4'));
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/json; charset=utf-16',
      undefined,
    ]) {
      for (const [method, path] of [
        ['POST', '/Users'],
        ['PUT', `/Users/${userId}`],
        ['PATCH', `/Users/${userId}`],
      ] as const) {
        const res = await t.app.inject({
          method,
          url: `${a.base}${path}`,
          headers: { authorization: `Bearer ${a.scimToken}`, ...(type ? { 'content-type': type } : {}) },
          payload: body,
        });
        expectScimError(res, 415);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('B6: 10,000 nested arrays or objects are refused within 50 ms; depth 33 in a valid User is 400; no RangeError', async () => {
    const arrays = `{"schemas":["${CORE_USER}"],"userName":"deep@a.com","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const objects = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const padded = `{"schemas":["${CORE_USER}"],"userName":"deep@a.com","displayName":"${'x'.repeat(40_000)}","x":${'[{"k":'.repeat(8_000)}1${'}]'.repeat(8_000)}}`;
    expect(padded.length).toBeGreaterThan(100_000);
    for (const payload of [arrays, objects, padded]) {
      let fastest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        const res = await s('POST', '/Users', payload);
        fastest = Math.min(fastest, performance.now() - start);
        expectScimError(res, 400, 'invalidSyntax');
      }
      expect(fastest).toBeLessThan(50);
    }
    // Depth 33 (the limit is 32): an otherwise valid User with a deeply nested extension value.
    const nested = (depth: number) =>
      `{"schemas":["${CORE_USER}"],"userName":"d${depth}@a.com","urn:example:custom":${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}}`;
    expectScimError(await s('POST', '/Users', nested(33)), 400, 'invalidSyntax');
    expect((await s('POST', '/Users', nested(32))).statusCode).toBe(201); // unknown extension objects are dropped
    // The admin API parses JSON with Fastify's parser: deep nesting there is a 400 too, not a crash.
    const admin = await call(t.app, 'POST', '/iam/v1/tenants', {
      token: OPERATOR_TOKEN,
      body: `{"name":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
    });
    expect(admin.statusCode).toBe(400);
    expect(admin.headers['content-type']).toContain('application/problem+json');
    expect((await call(t.app, 'GET', '/healthz')).statusCode).toBe(200);
    expect(log).not.toContain('RangeError');
    expect(log).not.toContain('Maximum call stack');
  });

  it('B7: wide JSON — huge arrays, thousands of unknown attributes, long strings — is 400 invalidValue or 413', async () => {
    const before = await snapshot();
    const user = (overrides: Record<string, unknown>) => ({ ...entraUser('wide@a.com', 'wide'), ...overrides });
    // 100,000 emails do not fit the 1 MiB body limit: 413 before anything is parsed into a resource.
    expectScimError(
      await s('POST', '/Users', user({ emails: Array.from({ length: 100_000 }, (_, i) => ({ value: `${i}@a.com` })) })),
      413,
    );
    expectScimError(
      await s('POST', '/Users', user({ emails: Array.from({ length: 51 }, (_, i) => ({ value: `${i}@a.com` })) })),
      400,
      'invalidValue',
    );
    expectScimError(
      await s('POST', '/Users', {
        ...user({}),
        ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`unknown${i}`, 1])),
      }),
      400,
      'invalidValue',
    );
    expectScimError(await s('POST', '/Users', user({ displayName: 'x'.repeat(1024 * 1024) })), 413);
    expectScimError(await s('POST', '/Users', user({ displayName: 'x'.repeat(1025) })), 400, 'invalidValue');
    expectScimError(await s('POST', '/Users', user({ userName: `${'u'.repeat(251)}@a.com` })), 400, 'invalidValue');
    expectScimError(
      await s(
        'PATCH',
        `/Users/${userId}`,
        patch({ op: 'add', path: 'phoneNumbers', value: Array.from({ length: 51 }, (_, i) => ({ value: `${i}` })) }),
      ),
      400,
      'invalidValue',
    );
    expect(await snapshot()).toEqual(before);
    // At the limits exactly: accepted.
    const atLimit = await s(
      'POST',
      '/Users',
      user({ userName: `${'u'.repeat(250)}@a.com`, displayName: 'x'.repeat(1024) }),
    );
    expect(atLimit.statusCode).toBe(201);
  });

  it('B8: wrong types are 400; Entra string booleans are accepted', async () => {
    const before = await snapshot();
    const cases: [string, unknown, string][] = [
      ['active {}', entraUser('b8@a.com', 'b8', { active: {} }), 'invalidValue'],
      ['active "yes"', entraUser('b8@a.com', 'b8', { active: 'yes' }), 'invalidValue'],
      ['userName 123', { schemas: [CORE_USER], userName: 123 }, 'invalidValue'],
      ['emails object', entraUser('b8@a.com', 'b8', { emails: { value: 'x' } }), 'invalidValue'],
      ['name string', entraUser('b8@a.com', 'b8', { name: 'x' }), 'invalidValue'],
      ['schemas string', { schemas: CORE_USER, userName: 'b8@a.com' }, 'invalidValue'],
      ['schemas unknown', { schemas: ['urn:example:unknown'], userName: 'b8@a.com' }, 'invalidValue'],
      ['schemas of Group', { schemas: [CORE_GROUP], userName: 'b8@a.com' }, 'invalidValue'],
    ];
    for (const [label, body, scimType] of cases) {
      const res = await s('POST', '/Users', body);
      expect(res.statusCode, label).toBe(400);
      expect(res.json().scimType, label).toBe(scimType);
    }
    expectScimError(
      await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'b8', members: 'x' }),
      400,
      'invalidValue',
    );
    expectScimError(
      await s('PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value: 5 }] })),
      400,
      'invalidValue',
    );
    expect(await snapshot()).toEqual(before);
    const f = await s('POST', '/Users', entraUser('false@a.com', 'false', { active: 'False' }));
    expect(f.json().active).toBe(false);
    const tr = await s('POST', '/Users', entraUser('true@a.com', 'true', { active: 'True' }));
    expect(tr.json().active).toBe(true);
  });

  it('B9: odd paths and ids are 404/400 SCIM errors; routes are case-sensitive; nothing is echoed', async () => {
    const notFound = [
      `/Users/..%2f..%2fGroups`,
      `/Users/${'x'.repeat(10 * 1024)}`,
      '/Users/123',
      '/Users/',
      '/users',
      `/users/${userId}`,
      '/USERS',
      `/Users/${userId}/extra`,
    ];
    for (const path of notFound) {
      const res = await s('GET', path);
      expectScimError(res, 404);
      expect(res.body.length).toBeLessThan(300);
    }
    for (const path of ['/Users/%FF', '/Users/%ED%A0%80', '/Groups/%E0%80%80']) {
      const res = await s('GET', path);
      expectScimError(res, 400, 'invalidSyntax');
      expect(res.body).not.toContain(path.split('/')[2]);
    }
    expectScimError(await s('DELETE', `/Users/${'x'.repeat(10 * 1024)}`), 404);
    expectScimError(await s('DELETE', '/Users/%00'), 400, 'invalidValue');
  });

  it('B10/B20: paging and numbers — negative, zero, huge, non-integer, 1e400 — clamp or 400, never reach SQL as Infinity', async () => {
    expect((await s('GET', '/Users?count=-1')).json()).toMatchObject({ itemsPerPage: 0, Resources: [] });
    expect((await s('GET', '/Users?count=-0')).json()).toMatchObject({ itemsPerPage: 0, Resources: [] });
    expect((await s('GET', '/Users?startIndex=0&count=1')).json()).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    expect((await s('GET', '/Users?startIndex=-5&count=1')).json()).toMatchObject({ startIndex: 1 });
    const huge = (await s('GET', '/Users?count=1000000000')).json();
    expect(huge.itemsPerPage).toBe(Math.min(huge.totalResults, 1000));
    expect((await s('GET', '/Users?startIndex=1000000&count=5')).json()).toMatchObject({ itemsPerPage: 0 });
    const queries = recordQueries();
    for (const query of [
      'count=abc',
      'count=1.5',
      'count=1e400',
      'count=0x10',
      'startIndex=1e400',
      'startIndex=99999999999999999999999',
      'startIndex=Infinity',
      'count=NaN',
    ]) {
      expectScimError(await s('GET', `/Users?${query}`), 400, 'invalidValue');
    }
    const search = (body: string) => s('POST', '/Users/.search', body);
    const request = (extra: string) => `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],${extra}}`;
    expectScimError(await search(request('"count":1e999')), 400, 'invalidValue');
    expectScimError(await search(request('"startIndex":-1e999')), 400, 'invalidValue');
    expectScimError(await search(request('"count":1e20')), 400, 'invalidValue');
    expect((await search(request('"count":-0'))).json().itemsPerPage).toBe(0);
    // A number attribute given 1e999 (Infinity after JSON.parse) is refused, as is a number for a string.
    expectScimError(
      await s('POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"n@a.com","title":1e999}`),
      400,
      'invalidValue',
    );
    const all = queries.all();
    expect(all.length).toBeGreaterThan(0);
    for (const q of all) {
      expect(q.sql).not.toMatch(/\b(?:infinity|nan)\b|1e400|1e999/i);
      for (const p of q.parameters) {
        if (typeof p === 'number') expect(Number.isFinite(p), q.sql).toBe(true);
      }
    }
  });

  it('B11: invalid filters are 400 invalidFilter without echoing the filter', async () => {
    const marker = 'Zq9marker';
    const cases = [
      `unknownAttr eq "${marker}"`,
      `userName xx "${marker}"`,
      `userName eq "${marker}`,
      `(userName eq "${marker}"`,
      `userName eq "${marker}")`,
      `emails[type eq "${marker}"`,
      `emails[type eq "work"]].value eq "${marker}"`,
      'userName eq',
      `userName eq "${marker}" and`,
      `userName eq "${'x'.repeat(2048)}"`,
      Array.from({ length: 51 }, (_, i) => `userName eq "${marker}${i}"`).join(' or '),
      `${'('.repeat(17)}userName eq "${marker}"${')'.repeat(17)}`,
      `${'not ('.repeat(17)}userName eq "${marker}"${')'.repeat(17)}`,
      `userName eq '${marker}'`,
      `userName eq ${marker}`,
    ];
    expect(cases[9]!.length).toBeGreaterThan(2048);
    for (const filter of cases) {
      const res = await s('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expectScimError(res, 400, 'invalidFilter');
      expect(res.json().detail.length, filter.slice(0, 40)).toBeLessThan(200);
      expect(res.json().detail, filter.slice(0, 40)).not.toContain(marker);
      const viaSearch = await s('POST', '/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter,
      });
      expectScimError(viaSearch, 400, 'invalidFilter');
    }
    // At the limits: 50 terms and 16 levels are fine.
    const fifty = Array.from({ length: 50 }, (_, i) => `userName eq "${marker}${i}"`).join(' or ');
    expect((await s('GET', `/Users?filter=${encodeURIComponent(fifty)}`)).statusCode).toBe(200);
    const sixteen = `${'('.repeat(16)}userName eq "x"${')'.repeat(16)}`;
    expect((await s('GET', `/Users?filter=${encodeURIComponent(sixteen)}`)).statusCode).toBe(200);
  });

  it('B12: filter values match literally, names outside the schema are 400, password is 403 sensitive, and no request text reaches SQL', async () => {
    const c = await scimTenant(t.app, 'Injection');
    const values = ["O'Brien", 'say "hi"', 'back\\slash', 'x;--drop', '100%', 'a_b', 'star*', 'plain'];
    for (const [i, v] of values.entries()) {
      const res = await scim(
        t.app,
        c,
        'POST',
        `${c.base}/Users`,
        entraUser(`inj${i}@c.com`, `inj${i}`, { displayName: v }),
      );
      expect(res.statusCode).toBe(201);
    }
    const find = async (filter: string) =>
      (await scim(t.app, c, 'GET', `${c.base}/Users?filter=${encodeURIComponent(filter)}`))
        .json()
        .Resources.map((r: { displayName: string }) => r.displayName)
        .sort();
    expect(await find('displayName co "%"')).toEqual(['100%']);
    expect(await find('displayName co "_"')).toEqual(['a_b']);
    expect(await find('displayName co "*"')).toEqual(['star*']);
    expect(await find('displayName co "\\\\"')).toEqual(['back\\slash']);
    expect(await find(`displayName eq "O'Brien"`)).toEqual(["O'Brien"]);
    expect(await find('displayName co "\\"hi\\""')).toEqual(['say "hi"']);
    expect(await find('displayName ew ";--drop"')).toEqual(['x;--drop']);
    expect(await find('displayName sw "a_"')).toEqual(['a_b']);
    expect(await find('displayName eq "%"')).toEqual([]);
    expect(await find(`displayName eq "' or '1'='1"`)).toEqual([]);

    const queries = recordQueries();
    const marker = 'Qx7inj';
    const hostile = [
      `displayName eq "${marker}' OR 1=1--"`,
      `displayName co "${marker}%_\\\\"`,
      `emails[value eq "${marker}"]`,
      `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "${marker}"`,
    ];
    for (const filter of hostile) {
      expect(
        (await scim(t.app, c, 'GET', `${c.base}/Users?filter=${encodeURIComponent(filter)}&sortBy=displayName`))
          .statusCode,
      ).toBe(200);
    }
    for (const filter of [
      `userName) OR 1=1-- eq "${marker}"`,
      `user_name eq "${marker}"`,
      `${marker} eq "x"`,
      `userName.${marker} eq "x"`,
    ]) {
      const res = await scim(t.app, c, 'GET', `${c.base}/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.statusCode, filter).toBe(400);
      expect(res.json().scimType).toBe('invalidFilter');
    }
    const password = await scim(
      t.app,
      c,
      'GET',
      `${c.base}/Users?filter=${encodeURIComponent(`password eq "${marker}"`)}`,
    );
    expect(password.statusCode).toBe(403);
    expect(password.json().scimType).toBe('sensitive');
    for (const query of [`sortBy=${marker}`, `sortBy=displayName%3B${marker}`]) {
      expect((await scim(t.app, c, 'GET', `${c.base}/Users?${query}`)).statusCode, query).toBe(400);
    }
    // A well-formed attribute name the schema lacks selects nothing in a projection (ignored, RFC 7644 §3.9).
    expect((await scim(t.app, c, 'GET', `${c.base}/Users?attributes=${marker}`)).statusCode).toBe(200);
    const ran = queries.all();
    // Values reach the statements only as parameters (case-folded for caseExact=false attributes).
    const inParameters = ran.filter((q) =>
      q.parameters.some((p) => typeof p === 'string' && p.toLowerCase().includes(marker.toLowerCase())),
    );
    expect(inParameters.length).toBeGreaterThanOrEqual(hostile.length);
    for (const q of ran) expect(q.sql.toLowerCase(), q.sql).not.toContain(marker.toLowerCase());
  });

  it('B13: hostile sortBy/attributes/excludedAttributes names are 400 or ignored; no prototype is touched', async () => {
    expectScimError(await s('GET', `/Users?sortBy=${encodeURIComponent('id;drop table scim_users')}`), 400);
    expectScimError(await s('GET', '/Users?sortBy=__proto__'), 400);
    expectScimError(await s('GET', '/Users?attributes=__proto__'), 400);
    expectScimError(await s('GET', `/Users/${userId}?attributes=name.__proto__`), 400);
    const ignored = await s('GET', `/Users/${userId}?excludedAttributes=meta.password,constructor`);
    expect(ignored.statusCode).toBe(200);
    expect(ignored.json().userName).toBe('base@a.com');
    const projected = await s('GET', `/Users/${userId}?attributes=constructor.prototype,password`);
    expect(projected.statusCode).toBe(200);
    expect(Object.keys(projected.json()).sort()).toEqual(['id', 'schemas']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(log).not.toMatch(/TypeError|ReferenceError|SqliteError|syntax error at/);
  });

  it('B14: NUL, lone surrogates, controls, bidi overrides and zero-width characters in userName are 400 invalidValue', async () => {
    const before = await snapshot();
    for (const bad of [
      'nul\u0000@a.com',
      'lone\ud800@a.com',
      'low\udc00@a.com',
      'c0\u0007@a.com',
      'c1\u0085@a.com',
      'del\u007f@a.com',
      'tab\t@a.com',
      'rlo\u202e@a.com',
      'lri\u2066@a.com',
      'pdi\u2069@a.com',
      'zw\u200b@a.com',
      'zwj\u200d@a.com',
      'bom\ufeff@a.com',
    ]) {
      const res = await s('POST', '/Users', entraUser(bad, 'b14'));
      expectScimError(res, 400, 'invalidValue');
      const renamed = await s('PATCH', `/Users/${userId}`, patch({ op: 'replace', path: 'userName', value: bad }));
      expectScimError(renamed, 400, 'invalidValue');
    }
    for (const bad of ['a\u0000', 'b\ud800', 'c\u0001']) {
      expectScimError(
        await s('POST', '/Users', entraUser('b14@a.com', 'b14', { displayName: bad })),
        400,
        'invalidValue',
      );
      expectScimError(await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: bad }), 400, 'invalidValue');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('B14: NUL in any path segment, query value or JSON body of any surface is a 400, never a 500 (PostgreSQL cannot store NUL)', async () => {
    const admin = (method: Method, url: string, body?: unknown) =>
      call(t.app, method, url, { token: a.adminToken, body });
    const operator = (method: Method, url: string, body?: unknown) =>
      call(t.app, method, url, { token: OPERATOR_TOKEN, body });
    const problems = [
      await operator('POST', '/iam/v1/tenants', { name: 'a\u0000' }),
      await operator('POST', '/iam/v1/tenants', { name: 'lone \ud800' }),
      await operator('GET', '/iam/v1/tenants/%00'),
      await operator('POST', `/iam/v1/tenants/${a.tenantId}/admin-tokens`, { label: '\u0000' }),
      await operator('DELETE', `/iam/v1/tenants/${a.tenantId}/admin-tokens/%00`),
      await admin('POST', '/iam/v1/sso/azuread', {
        ...SEED_001_PROVIDER,
        scheme: 'nul',
        properties: { ...SEED_001_PROVIDER.properties, clientSecret: 'x\u0000' },
      }),
      await admin('GET', '/iam/v1/sso/%00'),
      await admin('PATCH', '/iam/v1/sso/%00', { enabled: true }),
      await admin('DELETE', '/iam/v1/sso/%00'),
      await admin('POST', '/iam/v1/scim', { provider: 'entra', providerDisplayName: '\u0000' }),
      await admin('DELETE', '/iam/v1/scim/%00'),
      await admin('GET', '/iam/v1/scim/logs?resourceId=%00'),
      await admin('GET', '/iam/v1/scim/logs?before=%00'),
      await admin('GET', '/iam/v1/audit-events?before=%00'),
      await admin('POST', '/iam/v1/clients', {
        client_name: 'a\u0000',
        type: 'confidential',
        redirect_uris: ['https://a.example/cb'],
      }),
      await admin('GET', '/iam/v1/clients/%00'),
      await admin('DELETE', '/iam/v1/clients/%00'),
    ];
    for (const res of problems) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation.failed');
    }
    for (const [method, path, body] of [
      ['GET', '/Users/%00', undefined],
      ['GET', '/Groups/%00', undefined],
      ['PUT', '/Users/%00', entraUser('x@a.com', 'x')],
      ['PATCH', `/Users/${userId}%00`, patch({ op: 'replace', path: 'title', value: 'x' })],
      ['DELETE', '/Groups/%00', undefined],
      ['GET', '/Users?filter=userName%20eq%20%22%00%22', undefined],
      ['GET', '/Users?cursor=%00', undefined],
      ['POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"k@a.com","x\\u0000":1}`],
      [
        'POST',
        '/Bulk',
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [{ method: 'DELETE', path: '/Users/\u0000' }],
        },
      ],
    ] as const) {
      expectScimError(await s(method, path, body), 400, 'invalidValue');
    }
    // The sign-in surfaces (HTML pages and the OpenID Provider, which parses its own form bodies).
    const pages = [
      await call(t.app, 'GET', `/${a.tenantId}/signin/callback?state=%00&code=x`),
      await call(t.app, 'GET', `/${a.tenantId}/signin/%00`),
      await call(
        t.app,
        'GET',
        `/${a.tenantId}/oidc/auth?client_id=%00&response_type=code&scope=openid&redirect_uri=https://a.example/cb`,
      ),
    ];
    for (const res of pages) expect(res.statusCode, res.body.slice(0, 200)).toBe(400);
    for (const form of [
      'grant_type=authorization_code&code=%00&client_id=%00&client_secret=x',
      'grant_type=refresh_token&refresh_token=%00&client_id=x',
    ]) {
      const res = await call(t.app, 'POST', `/${a.tenantId}/oidc/token`, {
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
    }
    expect(log).not.toContain('unhandled error');
  });

  it('B14: a NUL that reaches the provisioning log never costs other tenants their entries', async () => {
    const other = await scimTenant(t.app, 'Bystander');
    await scim(t.app, other, 'GET', `${other.base}/Users`);
    await s('GET', '/Users/%00');
    await s('POST', '/Users', `{"schemas":["${CORE_USER}"],"userName":"k@a.com","bad\\u0000key":1}`);
    const logs = await call(t.app, 'GET', '/iam/v1/scim/logs', { token: other.adminToken });
    expect(logs.json().items.map((i: { operation: string }) => i.operation)).toContain('search');
    const own = await call(t.app, 'GET', '/iam/v1/scim/logs?status=400', { token: a.adminToken });
    expect(own.statusCode).toBe(200);
    expect(own.body).not.toContain('\\u0000');
  });

  it('B15: emoji, NFD, CJK and RTL text are stored and returned byte-identical', async () => {
    const displayName = 'Ann 👩🏽‍💻 𝒜';
    const nfd = 'Jose\u0301';
    const user = await s(
      'POST',
      '/Users',
      entraUser('unicode@a.com', 'unicode', {
        displayName,
        nickName: nfd,
        title: '工程师',
        name: { familyName: 'עִבְרִית', givenName: 'مرحبا' },
      }),
    );
    expect(user.statusCode).toBe(201);
    for (const got of [user.json(), (await s('GET', `/Users/${user.json().id}`)).json()]) {
      expect(got.displayName).toBe(displayName);
      expect(got.nickName).toBe(nfd);
      expect(got.nickName).not.toBe(nfd.normalize('NFC'));
      expect(got.title).toBe('工程师');
      expect(got.name).toMatchObject({ familyName: 'עִבְרִית', givenName: 'مرحبا' });
    }
    const found = await s('GET', `/Users?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
    expect(found.json().totalResults).toBe(1);
  });

  // Bytes that are not UTF-8: a stray 0xFF, a lone continuation byte, an overlong '/', a truncated 3-byte sequence,
  // an encoded surrogate (U+D800) and a code point past U+10FFFF. Decoding them leniently stored U+FFFD (201).
  const NOT_UTF8 = [[0xff], [0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]];
  const withBytes = (before: string, bytes: number[], after: string) =>
    Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

  it('B15: a SCIM body that is not valid UTF-8 is 400 invalidSyntax on every body-carrying route and writes nothing', async () => {
    const before = await snapshot();
    const routes = [
      ['POST', '/Users', (b: number[]) => withBytes('{"schemas":["' + CORE_USER + '"],"userName":"bad', b, '@a.com"}')],
      [
        'PUT',
        `/Users/${userId}`,
        (b: number[]) =>
          withBytes('{"schemas":["' + CORE_USER + '"],"userName":"base@a.com","displayName":"x', b, '"}'),
      ],
      [
        'PATCH',
        `/Users/${userId}`,
        (b: number[]) =>
          withBytes(
            '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x',
            b,
            '"}]}',
          ),
      ],
      [
        'PATCH',
        `/Groups/${groupId}`,
        (b: number[]) =>
          withBytes(
            '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"x',
            b,
            '"}]}',
          ),
      ],
      [
        'POST',
        '/.search',
        (b: number[]) =>
          withBytes(
            '{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \\"x',
            b,
            '\\""}',
          ),
      ],
    ] as const;
    for (const bytes of NOT_UTF8) {
      for (const [method, path, body] of routes) {
        const res = await t.app.inject({
          method,
          url: `${a.base}${path}`,
          headers: { authorization: `Bearer ${a.scimToken}`, 'content-type': 'application/scim+json' },
          payload: body(bytes),
        });
        expectScimError(res, 400, 'invalidSyntax');
        expect(res.json().detail, `${method} ${path} ${bytes}`).toBe('the request body is not valid UTF-8');
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('B15: an admin API body that is not valid UTF-8 is a 400 problem (request.malformed_json) and writes nothing', async () => {
    const tenants = async () => (await call(t.app, 'GET', '/iam/v1/tenants', { token: OPERATOR_TOKEN })).body;
    const before = await tenants();
    for (const bytes of NOT_UTF8) {
      for (const [url, token, body] of [
        ['/iam/v1/tenants', OPERATOR_TOKEN, withBytes('{"name":"Bad', bytes, '"}')],
        ['/iam/v1/sso/azuread', a.adminToken, withBytes('{"displayName":"Bad', bytes, '"}')],
      ] as const) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
          payload: body,
        });
        expect(res.statusCode, `${url} ${bytes}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({
          status: 400,
          code: 'request.malformed_json',
          detail: 'the body is not valid UTF-8',
        });
      }
    }
    expect(await tenants()).toBe(before);
    // Valid UTF-8 still works, U+FFFD included.
    const ok = await call(t.app, 'POST', '/iam/v1/tenants', { token: OPERATOR_TOKEN, body: { name: 'Ünï \ufffd 😀' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().name).toBe('Ünï \ufffd 😀');
  });

  it('B15: valid UTF-8 is stored and returned byte for byte — astral emoji, combining marks, NFC and NFD kept apart, a literal U+FFFD', async () => {
    const c = await scimTenant(t.app, 'Bytes');
    const texts = {
      nfc: {
        userName: 'jos\u00e9.\u{1f600}\ufffd@b.com',
        displayName: 'Jos\u00e9 \u{1d49c}\u{1f469}\u{1f3fd}\u200d\u{1f4bb}',
      },
      nfd: { userName: 'zoe\u0308.a\u0301\u0327@b.com', displayName: 'Jose\u0301 \ufffd Z\u0351\u0308\u0301' },
    };
    const hexOf = (text: string) => Buffer.from(text, 'utf8').toString('hex');
    const ids: Record<string, string> = {};
    for (const [key, { userName, displayName }] of Object.entries(texts)) {
      const body = Buffer.from(
        JSON.stringify(entraUser(userName, key, { displayName, nickName: displayName })),
        'utf8',
      );
      const created = await t.app.inject({
        method: 'POST',
        url: `${c.base}/Users`,
        headers: { authorization: `Bearer ${c.scimToken}`, 'content-type': 'application/scim+json' },
        payload: body,
      });
      expect(created.statusCode, key).toBe(201);
      ids[key] = created.json().id;
      const read = await scim(t.app, c, 'GET', `${c.base}/Users/${ids[key]}`);
      for (const got of [created, read]) {
        // Compare the response bytes, not only the decoded strings.
        expect(got.rawPayload.includes(Buffer.from(JSON.stringify(userName).slice(1, -1), 'utf8')), key).toBe(true);
        expect(got.json().userName).toBe(userName);
        expect(got.json().displayName).toBe(displayName);
        expect(got.json().nickName).toBe(displayName);
      }
      // The stored column holds the same bytes (hex computed by the database, not decoded by the driver).
      const row =
        kind === 'sqlite'
          ? await sql<{ u: string; d: string; n: string }>`select lower(hex(user_name)) as u,
              lower(hex(json_extract(data, '$.displayName'))) as d, lower(hex(json_extract(data, '$.nickName'))) as n
              from scim_users where id = ${ids[key]}`.execute(t.db.store.db)
          : await sql<{ u: string; d: string; n: string }>`select encode(convert_to(user_name, 'UTF8'), 'hex') as u,
              encode(convert_to(data->>'displayName', 'UTF8'), 'hex') as d,
              encode(convert_to(data->>'nickName', 'UTF8'), 'hex') as n
              from scim_users where id = ${ids[key]}`.execute(t.db.store.db);
      expect(row.rows[0], key).toEqual({ u: hexOf(userName), d: hexOf(displayName), n: hexOf(displayName) });
    }
    // NFC and NFD forms of one display name stay two different values.
    expect(texts.nfc.displayName.normalize('NFD').startsWith('Jose\u0301')).toBe(true);
    const nfcRead = (await scim(t.app, c, 'GET', `${c.base}/Users/${ids.nfc}`)).json();
    const nfdRead = (await scim(t.app, c, 'GET', `${c.base}/Users/${ids.nfd}`)).json();
    expect(nfcRead.displayName.startsWith('Jos\u00e9 ')).toBe(true);
    expect(nfdRead.displayName.startsWith('Jose\u0301 ')).toBe(true);
  });

  it('B16: userName is unique under width mapping, case and NFC; İ and i stay distinct; case is preserved', async () => {
    const c = await scimTenant(t.app, 'Collisions');
    const post = (userName: string) => scim(t.app, c, 'POST', `${c.base}/Users`, entraUser(userName, userName));
    const pairs: [string, string][] = [
      ['bob@x.com', 'Bob@X.COM'],
      ['bob2@x.com', 'ｂｏｂ2@x.com'],
      ['kelvin@x.com', '\u212Aelvin@x.com'],
      ['jos\u00e9@x.com', 'jose\u0301@x.com'],
      ['\u01c6ungla@x.com', '\u01c5ungla@x.com'],
    ];
    for (const [first, second] of pairs) {
      expect((await post(first)).statusCode, first).toBe(201);
      const dup = await post(second);
      expect(dup.statusCode, second).toBe(409);
      expect(dup.json().scimType).toBe('uniqueness');
    }
    expect((await post('istanbul@x.com')).statusCode).toBe(201);
    expect((await post('\u0130stanbul@x.com')).statusCode).toBe(201);
    const found = (
      await scim(t.app, c, 'GET', `${c.base}/Users?filter=${encodeURIComponent('userName eq "BOB@x.com"')}`)
    ).json();
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0].userName).toBe('bob@x.com');
  });

  it('B17: renaming a user onto another name differing only in case is 409 and leaves it unchanged', async () => {
    const c = await scimTenant(t.app, 'Renames');
    const first = (await scim(t.app, c, 'POST', `${c.base}/Users`, entraUser('alice@r.com', 'alice'))).json();
    await scim(t.app, c, 'POST', `${c.base}/Users`, entraUser('bob@r.com', 'bob'));
    const url = `${c.base}/Users/${first.id}`;
    const put = await scim(t.app, c, 'PUT', url, entraUser('BOB@r.com', 'alice'));
    expect(put.statusCode).toBe(409);
    expect(put.json().scimType).toBe('uniqueness');
    const patched = await scim(t.app, c, 'PATCH', url, patch({ op: 'replace', path: 'userName', value: 'Bob@R.com' }));
    expect(patched.statusCode).toBe(409);
    expect(patched.json().scimType).toBe('uniqueness');
    expect((await scim(t.app, c, 'GET', url)).json()).toEqual(first);
    // Its own name in another case is a rename, not a collision.
    expect(
      (await scim(t.app, c, 'PATCH', url, patch({ op: 'replace', path: 'userName', value: 'Alice@R.com' }))).statusCode,
    ).toBe(200);
  });

  it('B18: group displayNames are unique case-insensitively, on create and on rename', async () => {
    const c = await scimTenant(t.app, 'Group names');
    await scim(t.app, c, 'POST', `${c.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Engineering' });
    const dup = await scim(t.app, c, 'POST', `${c.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'ENGINEERING' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().scimType).toBe('uniqueness');
    const other = (
      await scim(t.app, c, 'POST', `${c.base}/Groups`, { schemas: [CORE_GROUP], displayName: 'Sales' })
    ).json();
    const rename = await scim(
      t.app,
      c,
      'PATCH',
      `${c.base}/Groups/${other.id}`,
      patch({ op: 'replace', path: 'displayName', value: 'engineering' }),
    );
    expect(rename.statusCode).toBe(409);
    expect((await scim(t.app, c, 'GET', `${c.base}/Groups/${other.id}`)).json().displayName).toBe('Sales');
  });
});
