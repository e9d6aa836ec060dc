// Load tenants (created over the admin API) and each one's ledger: what the client knows the server acknowledged.
import type { Client, Target } from './client.ts';

export interface TenantHandle {
  readonly name: string;
  readonly tenantId: string;
  readonly scimToken: string;
  readonly base: string;
}

export async function provisionTenant(client: Client, target: Target, name: string): Promise<TenantHandle> {
  const op = { token: target.operatorToken };
  const tenant = await client.request('POST', '/iam/v1/tenants', { ...op, body: { name } });
  if (tenant.status !== 201) throw new Error(`tenant create: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const { id, adminToken } = tenant.body as { id: string; adminToken: string };
  const provider = await client.request('POST', '/iam/v1/sso/azuread', {
    token: adminToken,
    body: {
      scheme: 'entra',
      displayName: 'Entra ID',
      enabled: true,
      type: 'oidc',
      properties: {
        loginEnabled: true,
        visible: true,
        delegationEnabled: false,
        autoProvisioningEnabled: false,
        clientId: 'load-client',
        clientSecret: 'load-client-secret',
        usePkce: true,
        authority: 'https://login.microsoftonline.com/7f2c5f9e-1111-4a0e-9d8a-0123456789ab/v2.0',
        responseType: 'code',
        scope: 'openid profile email',
      },
    },
  });
  if (provider.status >= 300) throw new Error(`provider create: ${provider.status}`);
  const token = await client.request('POST', '/iam/v1/scim', {
    token: adminToken,
    body: { provider: 'entra', providerDisplayName: 'Entra ID' },
  });
  if (token.status !== 201) throw new Error(`scim token create: ${token.status}`);
  return { name, tenantId: id, scimToken: (token.body as { token: string }).token, base: `/${id}/api/scim/v2` };
}

export interface UserEntry {
  readonly id: string;
  readonly userName: string;
  readonly externalId: string;
  displayName: string;
  active: boolean;
  title: string;
  busy: boolean;
}

interface GroupEntry {
  readonly id: string;
  readonly displayName: string;
  readonly members: Set<string>;
  busy: boolean;
}

/** What the client knows the server acknowledged, per tenant. */
export class Ledger {
  readonly users = new Map<string, UserEntry>();
  readonly groups = new Map<string, GroupEntry>();
  readonly deleted = new Set<string>();
  /** Resources whose last write got no definite answer (5xx, transport error): excluded from exact checks. */
  readonly uncertain = new Set<string>();
  readonly uncertainUserNames = new Set<string>();
  readonly uncertainGroupNames = new Set<string>();
  acknowledged = 0;
  private seq = 0;
  constructor(readonly tenant: TenantHandle) {}
  nextSeq(): number {
    return this.seq++;
  }
}
