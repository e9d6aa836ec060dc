// SQLite group commit: SCIM write transactions that arrive together share one COMMIT, each in its own savepoint —
// one that fails is undone alone, the others are kept, and every acknowledged one is on disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredUser } from '../../src/core/scim/records.ts';
import { GroupCommitter } from '../../src/store/group-commit.ts';
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

  it('makes the transactions context once per batch, and a failed transaction leaves it usable for the rest', async () => {
    let made = 0;
    const committer = new GroupCommitter(db.store.db, (conn) => {
      made++;
      return { conn, batch: made };
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        committer.run(async ({ conn, batch }) => {
          await conn
            .insertInto('tenants')
            .values({ id: `ctx${i}`, name: 'T', created_at: '2026-12-06T10:00:00.000Z' })
            .execute();
          if (i === 5) throw new Error('application error after a write');
          return batch;
        }),
      ),
    );
    expect(made).toBe(committer.commits);
    expect(made).toBeLessThan(20);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    // Every transaction after the failed one in its batch saw the same context and committed.
    const kept = await db.store.db.selectFrom('tenants').select('id').where('id', 'like', 'ctx%').execute();
    expect(kept.map((r) => r.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `ctx${i}`)
        .filter((id) => id !== 'ctx5')
        .sort(),
    );
  });
});
