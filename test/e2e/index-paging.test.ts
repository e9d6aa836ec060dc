// Index paging continues sequential reads from the remembered position (no O(offset) scans), and gives the same
// pages as OFFSET when nothing changes; jumps and other filters still use OFFSET.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { entraUser, type ScimTenant, scim, scimTenant } from '../support/scim.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('index paging (%s)', (kind) => {
  let t: TestApp;
  let tenant: ScimTenant;
  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await scimTenant(t.app);
    for (let i = 0; i < 45; i++) {
      const res = await scim(
        t.app,
        tenant,
        'POST',
        `${tenant.base}/Users`,
        entraUser(`p${String(i).padStart(2, '0')}@x.com`, `e${i}`),
      );
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => t?.dispose());

  const page = async (query: string) =>
    (await scim(t.app, tenant, 'GET', `${tenant.base}/Users?${query}`)).json() as {
      totalResults: number;
      startIndex: number;
      Resources: { id: string; userName: string }[];
    };

  it('sequential pages equal the OFFSET pages, sorted or not, and a jump still works', async () => {
    for (const sort of ['', '&sortBy=userName&sortOrder=descending']) {
      const all = (await page(`count=100${sort}`)).Resources.map((r) => r.id);
      expect(all).toHaveLength(45);
      const seen: string[] = [];
      for (let start = 1; start <= 45; start += 10) {
        const p = await page(`startIndex=${start}&count=10${sort}`);
        expect(p.totalResults).toBe(45);
        expect(p.startIndex).toBe(start);
        seen.push(...p.Resources.map((r) => r.id));
      }
      expect(seen).toEqual(all);
      expect((await page(`startIndex=37&count=3${sort}`)).Resources.map((r) => r.id)).toEqual(all.slice(36, 39));
    }
  });

  it('a user deleted between sequential pages neither shifts nor repeats the rest', async () => {
    const first = await page('startIndex=1&count=10');
    const all = (await page('count=100')).Resources.map((r) => r.id);
    await scim(t.app, tenant, 'DELETE', `${tenant.base}/Users/${first.Resources[0]!.id}`);
    const second = await page('startIndex=11&count=10');
    expect(second.Resources.map((r) => r.id)).toEqual(all.slice(10, 20));
  });
});
