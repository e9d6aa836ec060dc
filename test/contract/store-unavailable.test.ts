// Security plan F5: a database locked by another process answers writes with 503 + Retry-After (never 500, never
// a hang past the busy timeout), keeps serving reads, and recovers by itself once the lock is released.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';

describe('SQLite locked by another process', () => {
  let t: TestApp;
  let tenant: ScimTenant;
  let userId: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    tenant = await scimTenant(t.app);
    userId = (await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser('before@x.com', 'b'))).json().id;
    await scim(t.app, tenant, 'GET', `${tenant.base}/Users/${userId}`); // lastUsedAt written now, not during the lock
  });
  afterAll(() => t?.dispose());

  it('answers writes 503 with Retry-After while locked, serves reads, and recovers', async () => {
    if (t.db.location.kind !== 'sqlite') throw new Error('sqlite only');
    const other = new Database(t.db.location.path);
    other.pragma('busy_timeout = 0');
    other.exec('begin exclusive');
    try {
      const started = Date.now();
      const write = await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser('during@x.com', 'd'));
      expect(write.statusCode).toBe(503);
      expect(write.headers['retry-after']).toBe('5');
      expect(write.json()).toMatchObject({ status: '503' });
      expect(Date.now() - started).toBeLessThan(12_000); // 5 s busy timeout; the margin absorbs a loaded CI box, a hang would not fit
      const read = await scim(t.app, tenant, 'GET', `${tenant.base}/Users/${userId}`);
      expect(read.statusCode).toBe(200);
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect((await scim(t.app, tenant, 'POST', `${tenant.base}/Users`, entraUser('during@x.com', 'd'))).statusCode).toBe(
      201,
    );
    expect(
      (
        await scim(
          t.app,
          tenant,
          'GET',
          `${tenant.base}/Users?filter=${encodeURIComponent('userName eq "during@x.com"')}`,
        )
      ).json().totalResults,
    ).toBe(1);
  }, 20_000);
});
