// JSON merge patch (RFC 7396) of an SSO provider: the PATCH body merged onto the provider as it is stored.
import { invalid } from '../errors.ts';
import type { SsoProviderInput } from './providers.ts';

/** A PATCH body: any top-level field, and any subset of `properties`. Null is not accepted (every field is required). */
export type SsoProviderPatch = Partial<Omit<SsoProviderInput, 'properties'>> & {
  readonly properties?: Partial<SsoProviderInput['properties']> | undefined;
};

/**
 * The provider after the patch. Members the patch leaves out keep their current value, `properties` merges one
 * level down, and `clientSecret` appears only when the patch sets it (the stored secret is kept otherwise).
 * The scheme names the provider in URLs and SCIM token links: the patch may repeat it but not change it. `type` has
 * one allowed value, so it is never taken from the patch.
 */
export function mergeSsoProviderPatch(current: SsoProviderInput, patch: SsoProviderPatch): SsoProviderInput {
  if (patch.scheme !== undefined && patch.scheme !== current.scheme) throw invalid('scheme', 'cannot be changed');
  return {
    ...current,
    ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    properties: { ...current.properties, ...patch.properties },
  };
}
