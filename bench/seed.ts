// Seeds a fresh store for the benchmark: one tenant, an Entra provider, a SCIM token and N users.
import { sql } from 'kysely';
import type { CoreDeps } from '../src/core/ports.ts';
import type { StoredUser } from '../src/core/scim/records.ts';
import { createSsoProvider } from '../src/core/sso/providers.ts';
import { createTenant } from '../src/core/tenants/tenants.ts';
import { createScimToken } from '../src/core/tokens/scim-tokens.ts';
import { systemClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import type { Keyring } from '../src/lib/keyring.ts';
import { openStore, type StoreLocation } from '../src/store/open-store.ts';

export interface Seeded {
  readonly tenantId: string;
  readonly scimToken: string;
  readonly userIds: readonly string[];
  readonly userNames: readonly string[];
}

export function benchUser(i: number) {
  const userName = `user${i}@bench.example.com`;
  return {
    schemas: [
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    ],
    userName,
    externalId: `ext-${i}`,
    active: true,
    displayName: `Bench User ${i}`,
    name: { givenName: 'Bench', familyName: `User ${i}` },
    emails: [{ primary: true, type: 'work', value: userName }],
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: String(i), department: 'R&D' },
  };
}

/** What every bench starts from: a tenant with an Entra provider and a SCIM token for it. */
export async function seedTenant(deps: CoreDeps, name = 'Bench') {
  const { tenant } = await createTenant(deps, 'bench', { name });
  await createSsoProvider(deps, 'bench', tenant.id, {
    scheme: 'entra',
    displayName: 'Entra',
    enabled: true,
    type: 'oidc',
    properties: {
      loginEnabled: true,
      visible: true,
      delegationEnabled: false,
      autoProvisioningEnabled: false,
      clientId: 'bench',
      usePkce: true,
      authority: 'https://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0',
      responseType: 'code',
      scope: 'openid profile email',
    },
  });
  const token = await createScimToken(deps, 'bench', tenant.id, { provider: 'entra', providerDisplayName: 'Entra' });
  return { tenant, token };
}

export async function seed(
  location: StoreLocation,
  keyring: Keyring,
  users: number,
  log: (s: string) => void,
): Promise<Seeded> {
  const store = await openStore(location);
  const deps = { store, keyring, clock: systemClock };
  const { tenant, token } = await seedTenant(deps);
  const userIds: string[] = [];
  const userNames: string[] = [];
  const now = new Date().toISOString();
  const batch = 1000;
  const started = performance.now();
  for (let start = 0; start < users; start += batch) {
    await store.scim.transaction(async (tx) => {
      for (let i = start; i < Math.min(users, start + batch); i++) {
        const { schemas, ...rest } = benchUser(i);
        const user: StoredUser = {
          tenantId: tenant.id,
          id: newId(),
          data: { schemas, ...rest },
          version: 1,
          createdAt: now,
          lastModified: now,
          createdByToken: token.record.id,
          provider: 'entra',
          passwordHash: null,
        };
        await tx.users.insert(user);
        userIds.push(user.id);
        userNames.push(rest.userName);
      }
    });
    if ((start / batch) % 50 === 0) log(`  seeded ${Math.min(users, start + batch)} users`);
  }
  log(`  seeded ${users} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // A bulk load leaves PostgreSQL without statistics until autovacuum's next round (up to a minute): the planner
  // then guesses 0.5 % of the rows per tenant and pages by a bitmap scan of the whole tenant and a sort (446 ms a
  // page at 10,000 users). The bench measures a store as it runs after that round, so it gives the statistics now.
  if (location.kind === 'postgres') await sql`analyze`.execute(store.db);
  await store.close();
  return { tenantId: tenant.id, scimToken: token.value, userIds, userNames };
}
