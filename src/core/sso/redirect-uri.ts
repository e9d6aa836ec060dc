// The redirect URI a tenant's identity providers send people back to, for the app registration in Entra ID.

/**
 * `{publicUrl}/{tenantId}/signin/callback`: the one callback of the tenant's sign-in, shared by all its providers.
 * Entra ID redirects only to a URI registered on the app (Authentication → Web → Redirect URIs), compared exactly,
 * so it is built from ROSTER_PUBLIC_URL, the address the person's browser reaches Roster at.
 */
export function signInRedirectUri(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/${tenantId}/signin/callback`;
}
