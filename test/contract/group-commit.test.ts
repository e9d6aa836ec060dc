// SQLite group commit: SCIM write transactions that arrive together share one COMMIT, each in its own savepoint —
// one that fails is undone alone, the others are kept, and every acknowledged one is on disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../src/core/scim/records.ts';
import { openStore } from '../../src/store/open-store.ts';
import { openTestStore, type TestStore } from '../support/stores.ts';

function user(tenantId: string, id: string, userName: string): StoredUser {
  return {
    tenantId,
    id,
    data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true },
    version: 1,
    createdAt: '2026-11-23T10:00:00.000Z',
    lastModified: '2026-11-23T10:00:00.000Z',
    createdByToken: null,
    provider: 'entra',
    passwordHash: null,
  };
}

describe('SQLite group commit', () => {
  let db: TestStore;
  beforeAll(async () => {
    db = await openTestStore('sqlite');
    await db.store.tenants.insert({ id: 't1', name: 'T', createdAt: '2026-11-23T10:00:00.000Z' });
  });
  afterAll(() => db?.dispose());

  it('shares commits among concurrent writes, undoes only the failing one, and keeps the rest durably', async () => {
    const before = db.store.groupCommits() ?? 0;
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        db.store.scim.transaction(async (tx) => {
          // Write 17 collides with write 16's userName: it must fail alone, and leave no partial row.
          await tx.users.insert(user('t1', `u${i}`, i === 17 ? 'user16@x.com' : `user${i}@x.com`));
          if (i === 40) throw new Error('application error after a write');
        }),
      ),
    );
    const commits = (db.store.groupCommits() ?? 0) - before;
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(30);

    // Reopen from the file: what was acknowledged is there, what failed is not.
    if (db.location.kind !== 'sqlite') throw new Error('sqlite only');
    const reopened = await openStore(db.location);
    try {
      for (let i = 0; i < 60; i++) {
        const found = await reopened.scim.users.get('t1', `u${i}`);
        expect(found !== undefined, `u${i}`).toBe(i !== 17 && i !== 40);
      }
    } finally {
      await reopened.close();
    }
  });
});
