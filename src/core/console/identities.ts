// A user's sign-in identities: for each SSO provider of the tenant, the upstream account bound to the user (if any).
import type { CoreDeps } from '../ports.ts';
import type { SigninStore } from '../signin/ports.ts';

export interface SignInIdentity {
  readonly scheme: string;
  readonly providerName: string;
  readonly directory: string;
  readonly subject: string;
}

export async function signInIdentitiesOf(
  deps: CoreDeps & { readonly signin: SigninStore },
  tenantId: string,
  userId: string,
): Promise<SignInIdentity[]> {
  const providers = await deps.store.ssoProviders.list(tenantId);
  const found = await Promise.all(
    providers.map(async (p) => {
      const key = await deps.signin.identities.findForUser(tenantId, p.id, userId);
      return key
        ? { scheme: p.scheme, providerName: p.displayName, directory: key.directory, subject: key.subject }
        : [];
    }),
  );
  return found.flat();
}
