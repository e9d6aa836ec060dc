import { describe, expect, it } from 'vitest';
import { AuthFailureTally, authFailureEntry } from './auth-failures.ts';

const TENANT = '01a24af0-c8d8-76ac-b005-da597cc6c045';
const at = (time: string) => new Date(`2026-11-23T${time}Z`);

describe('AuthFailureTally', () => {
  it('counts per tenant, minute and reason', () => {
    const tally = new AuthFailureTally();
    for (let i = 0; i < 500; i++) tally.note(TENANT, 'invalid', at('10:00:30'));
    tally.note(TENANT, 'missing', at('10:00:59'));
    tally.note(TENANT, 'invalid', at('10:01:00'));
    expect(tally.size).toBe(3);
    // Only windows whose minute has ended are taken, unless all are asked for.
    expect(tally.take(at('10:01:10'), false)).toEqual([
      { tenantId: TENANT, minute: at('10:00:00').getTime(), reason: 'invalid', count: 500 },
      { tenantId: TENANT, minute: at('10:00:00').getTime(), reason: 'missing', count: 1 },
    ]);
    expect(tally.take(at('10:01:10'), true)).toEqual([
      { tenantId: TENANT, minute: at('10:01:00').getTime(), reason: 'invalid', count: 1 },
    ]);
    expect(tally.size).toBe(0);
  });

  it('ignores what cannot be a tenant id, and holds at most maxWindows windows', () => {
    const tally = new AuthFailureTally(3);
    tally.note('not-a-tenant', 'invalid', at('10:00:00'));
    tally.note("'; drop table tenants; --", 'invalid', at('10:00:00'));
    expect(tally.size).toBe(0);
    for (let i = 0; i < 100; i++) {
      tally.note(`01a24af0-c8d8-76ac-b005-${String(i).padStart(12, '0')}`, 'invalid', at('10:00:00'));
    }
    expect(tally.size).toBe(3);
    expect(tally.dropped).toBe(97);
    // An open window still counts when the table is full.
    tally.note('01a24af0-c8d8-76ac-b005-000000000000', 'invalid', at('10:00:01'));
    expect(tally.take(at('10:00:02'), true)[0]?.count).toBe(2);
  });

  it('writes a window as one entry with no token, header or typed path', () => {
    const entry = authFailureEntry({ tenantId: TENANT, minute: at('10:00:00').getTime(), reason: 'invalid', count: 7 });
    expect(entry).toMatchObject({
      tenantId: TENANT,
      at: '2026-11-23T10:00:00.000Z',
      tokenId: null,
      method: '*',
      path: `/${TENANT}/api/scim/v2`,
      operation: 'authenticate',
      status: 401,
      scimType: null,
      summary: { error: 'authentication failed', reason: 'invalid', count: 7 },
    });
  });
});
