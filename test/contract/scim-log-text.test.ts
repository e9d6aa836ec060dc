// Security plan B14 at the provisioning log: an entry whose text no store can hold (NUL, unpaired surrogates — from
// a path parameter or an error detail quoting the request) is written with U+FFFD instead, so it cannot fail the
// batch it is flushed with, which holds other tenants' entries too. Both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScimLog, recordScimRequest, ScimLogBuffer } from '../../src/core/scim/log.ts';
import { createTenant, startTestApp, type TestApp } from '../support/app.ts';
import { STORE_KINDS } from '../support/stores.ts';

describe.each(STORE_KINDS)('provisioning log text on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t?.dispose());

  it('B14: stores entries carrying NUL and lone surrogates, and the rest of their batch with them', async () => {
    const errors: unknown[] = [];
    const scimLog = new ScimLogBuffer(t.db.store.scim, {
      intervalMs: 60_000,
      maxBatch: 1000,
      onError: (e) => errors.push(e),
    });
    const deps = { scim: t.db.store.scim, clock: t.clock, scimLog };
    const victim = await createTenant(t.app, 'Victim');
    const attacker = await createTenant(t.app, 'Attacker');
    const record = (tenantId: string, resourceId: string, error: string) =>
      recordScimRequest(
        deps,
        { tenantId, tokenId: 'tok', provider: 'entra' },
        {
          method: 'GET',
          path: `/Users/${resourceId}`,
          status: 400,
          durationMs: 1,
          draft: { operation: 'get', resourceType: 'User', resourceId, summary: { error, scimType: 'invalidValue' } },
        },
      );
    record(victim.id, 'before', 'fine');
    record(attacker.id, 'nul\u0000id', 'key a\u0000 is not an attribute');
    record(attacker.id, 'lone\ud800', 'lone \udc00 surrogate');
    record(victim.id, 'after', 'fine');
    await scimLog.close();
    expect(errors).toEqual([]);
    const ids = async (tenantId: string) =>
      (await listScimLog(deps, tenantId, { limit: 10 })).items.map((i) => [i.resourceId, i.summary.error]);
    expect(await ids(victim.id)).toEqual([
      ['after', 'fine'],
      ['before', 'fine'],
    ]);
    expect(await ids(attacker.id)).toEqual([
      ['lone\ufffd', 'lone \ufffd surrogate'],
      ['nul\ufffdid', 'key a\ufffd is not an attribute'],
    ]);
  });
});
