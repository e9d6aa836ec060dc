// Versioned migrations, applied in order at start. Each is `NNNN-name.ts` with an `up(db, ctx)`.
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0002 from './0002-scim.ts';
import * as m0003 from './0003-signin.ts';
import * as m0004 from './0004-rate-limits.ts';
import * as m0005 from './0005-lookup-indexes.ts';
import * as m0006 from './0006-events.ts';
import * as m0007 from './0007-webhooks.ts';
import * as m0008 from './0008-directory-active-index.ts';
import * as m0009 from './0009-user-emails.ts';
import * as m0010 from './0010-setup.ts';
import * as m0011 from './0011-domains.ts';
import * as m0012 from './0012-roles.ts';
import * as m0013 from './0013-console-sessions.ts';
import * as m0014 from './0014-branding.ts';
import * as m0015 from './0015-credentials.ts';
import * as m0016 from './0016-passkeys.ts';
import * as m0017 from './0017-saml.ts';
import * as m0018 from './0018-directory-connections.ts';
import * as m0019 from './0019-operator-clients.ts';
import type { MigrationContext } from './context.ts';

interface MigrationModule {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

const modules: Record<string, MigrationModule> = {
  '0001-foundation': m0001,
  '0002-scim': m0002,
  '0003-signin': m0003,
  '0004-rate-limits': m0004,
  '0005-lookup-indexes': m0005,
  '0006-events': m0006,
  '0007-webhooks': m0007,
  '0008-directory-active-index': m0008,
  '0009-user-emails': m0009,
  '0010-setup': m0010,
  '0011-domains': m0011,
  '0012-roles': m0012,
  '0013-console-sessions': m0013,
  '0014-branding': m0014,
  '0015-credentials': m0015,
  '0016-passkeys': m0016,
  '0017-saml': m0017,
  '0018-directory-connections': m0018,
  '0019-operator-clients': m0019,
};

export function migrationProvider(ctx: MigrationContext): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(modules)) out[name] = { up: (db) => mod.up(db, ctx) };
      return out;
    },
  };
}
