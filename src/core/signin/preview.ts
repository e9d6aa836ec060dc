// A test sign-in's resolution: the same rule as a real sign-in (decide, sign-in.ts) on the same data, reported
// instead of acted on — nothing is bound, no user is created, nothing is audited as a sign-in.
import type { SsoProviderRecord } from '../records.ts';
import type { RefusalReason, UpstreamIdentity } from './identity.ts';
import type { SigninStore } from './ports.ts';
import { decide, LostRace } from './sign-in.ts';

export type Preview =
  | {
      readonly kind: 'resolved';
      /** null when the subject would be created. */
      readonly userId: string | null;
      readonly userName: string | null;
      readonly how: 'bound' | 'would link' | 'would be created';
      readonly rule?: 'externalId' | 'userName';
    }
  | {
      readonly kind: 'refused';
      readonly reason: RefusalReason;
      readonly userId: string | null;
      readonly userName: string | null;
    };

export async function previewSignIn(
  deps: { readonly signin: SigninStore },
  provider: SsoProviderRecord,
  identity: UpstreamIdentity,
): Promise<Preview> {
  for (let round = 0; ; round++) {
    try {
      const { decision } = await decide(deps.signin, provider, identity);
      const nameOf = async (userId: string | undefined) => {
        if (!userId) return null;
        const user = await deps.signin.scim.users.get(provider.tenantId, userId);
        return typeof user?.data.userName === 'string' ? user.data.userName : null;
      };
      switch (decision.kind) {
        case 'bound':
          return { kind: 'resolved', userId: decision.userId, userName: await nameOf(decision.userId), how: 'bound' };
        case 'link':
          return {
            kind: 'resolved',
            userId: decision.userId,
            userName: await nameOf(decision.userId),
            how: 'would link',
            rule: decision.rule,
          };
        case 'provision':
          return { kind: 'resolved', userId: null, userName: identity.userName ?? null, how: 'would be created' };
        case 'reject':
          return {
            kind: 'refused',
            reason: decision.reason,
            userId: decision.userId ?? null,
            userName: await nameOf(decision.userId),
          };
      }
    } catch (error) {
      // A real sign-in of this very identity bound it while we read: read again, and find the binding.
      if (!(error instanceof LostRace) || round >= 2) throw error;
    }
  }
}
