// The operator's own token: issued once on first start when no ROSTER_BOOTSTRAP_TOKEN is configured.
import { digestSecret } from '../../lib/keyring.ts';
import { issueToken } from '../../lib/tokens.ts';
import type { CoreDeps } from '../ports.ts';

/** Returns the new token's value when one was issued (the caller prints it once), else undefined. */
export async function ensureOperatorToken(deps: CoreDeps, hasBootstrapToken: boolean): Promise<string | undefined> {
  if (hasBootstrapToken) return undefined;
  return deps.store.transaction(async (tx) => {
    if ((await tx.operatorTokens.count()) > 0) return undefined;
    const token = issueToken('op');
    await tx.operatorTokens.insert({
      id: token.id,
      label: 'generated at first start',
      secret: digestSecret(deps.keyring, token.secret),
      createdAt: deps.clock.now().toISOString(),
    });
    return token.value;
  });
}
