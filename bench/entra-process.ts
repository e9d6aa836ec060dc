// The stand-in Entra ID (oidc-provider, test/support/fake-entra.ts) in its own process for the sign-in bench, so its
// signatures and its CPU are not Roster's. Whoever the login step names (`?as=ext-<n>`) signs in: the bench's
// seeded subject n, matched by externalId. Prints its authority on stdout once listening.
import { startFakeEntra } from '../test/support/fake-entra.ts';

const [redirectUri, clientId, clientSecret] = process.argv.slice(2);
if (!redirectUri || !clientId || !clientSecret)
  throw new Error('usage: entra-process.ts <redirectUri> <clientId> <secret>');
const entra = await startFakeEntra({
  clientId,
  clientSecret,
  redirectUri,
  personFor: (oid) => ({ oid, upn: `${oid}@bench.example.com`, name: `Bench ${oid}` }),
});
process.stdout.write(`${JSON.stringify({ authority: entra.authority })}\n`);
process.on('SIGTERM', () => void entra.close().then(() => process.exit(0)));
