// How the stand-in IdPs (fake-entra.ts, fake-oidc-idp.ts) answer their own oidc-provider interactions: a login
// signs in the account `login()` names, a consent grants the scopes the relying party asked for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

export async function finishStandInInteraction(
  op: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  login: () => string,
): Promise<void> {
  const details = await op.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await op.interactionFinished(req, res, { login: { accountId: login() } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new op.Grant({ clientId: String(details.params.client_id), accountId: details.session!.accountId });
  grant.addOIDCScope(String(details.params.scope));
  await op.interactionFinished(
    req,
    res,
    { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true },
  );
}
