// The setup checklist (ADR 0029), from reality: each step is done when the data shows it, with the time it happened
// where the data keeps it. Only the redirect URI step is the admin's word: Roster cannot see Entra's app settings.
import { recordAudit } from '../audit/audit.ts';
import type { CoreDeps } from '../ports.ts';
import type { ScimLogBuffer } from '../scim/log.ts';
import type { SetupFacts, SetupStore } from './ports.ts';

export type SetupStepId =
  | 'provider_registered'
  | 'redirect_uri_registered'
  | 'scim_token_created'
  | 'first_scim_request'
  | 'first_user_provisioned'
  | 'first_sign_in';

export interface SetupStep {
  readonly id: SetupStepId;
  readonly title: string;
  readonly done: boolean;
  /** When it happened, where known (null: not done, or done before what the data still keeps). */
  readonly at: string | null;
}

export interface SetupChecklist {
  readonly steps: readonly SetupStep[];
  /** The first step not done, or null when every step is. */
  readonly next: SetupStepId | null;
}

export interface ChecklistDeps extends CoreDeps {
  readonly setup: SetupStore;
  /** The provisioning log is written in batches: what is buffered is written before the steps are read. */
  readonly scimLog: Pick<ScimLogBuffer, 'flush'>;
}

const step = (id: SetupStepId, title: string, done: boolean, at: string | null): SetupStep => ({
  id,
  title,
  done,
  at: done ? at : null,
});

/** The earlier of two optional times (ISO-8601 UTC text orders as time does). */
const earliest = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : a < b ? a : b;

/** The steps that only sign-in needs: a SCIM-only tenant (a directory connection, no SSO provider) has none. */
const SIGN_IN_STEPS: readonly SetupStepId[] = ['redirect_uri_registered', 'first_sign_in'];

/**
 * Pure: the steps, in the order an admin takes them, from the facts. A directory connection (ADR 0043) registers
 * the IdP as well as an SSO provider does; while the tenant has no SSO provider, the sign-in steps are left out.
 */
export function checklistOf(facts: SetupFacts): SetupChecklist {
  const directoryAt = facts.firstDirectoryAt ?? null;
  const registeredAt = earliest(facts.firstProviderAt, directoryAt);
  const scimOnly = facts.firstProviderAt === null && directoryAt !== null;
  const all = [
    step(
      'provider_registered',
      scimOnly ? 'Directory connection registered' : 'SSO provider registered',
      registeredAt !== null,
      registeredAt,
    ),
    step(
      'redirect_uri_registered',
      'Redirect URI registered in the identity provider',
      facts.redirectUriConfirmedAt !== null,
      facts.redirectUriConfirmedAt,
    ),
    step('scim_token_created', 'SCIM token created', facts.firstLiveScimTokenAt !== null, facts.firstLiveScimTokenAt),
    step(
      'first_scim_request',
      'First SCIM request seen',
      facts.firstScimRequestAt !== null || facts.scimTokenUsed,
      facts.firstScimRequestAt,
    ),
    step(
      'first_user_provisioned',
      'First user provisioned',
      facts.firstUserProvisionedAt !== null,
      facts.firstUserProvisionedAt,
    ),
    step('first_sign_in', 'First sign-in seen', facts.firstSignInAt !== null, facts.firstSignInAt),
  ];
  const steps = scimOnly ? all.filter((s) => !SIGN_IN_STEPS.includes(s.id)) : all;
  return { steps, next: steps.find((s) => !s.done)?.id ?? null };
}

export async function setupChecklist(deps: ChecklistDeps, tenantId: string): Promise<SetupChecklist> {
  await deps.scimLog.flush({ openWindows: true });
  return checklistOf(await deps.setup.setupProgress.facts(tenantId, deps.clock.now().toISOString()));
}

/** The admin says the redirect URI is registered in the IdP; the first confirmation's time is kept. Audited. */
export async function confirmRedirectUri(deps: ChecklistDeps, actor: string, tenantId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.setup.transaction(async (tx) => {
    await tx.setupProgress.confirmRedirectUri(tenantId, now.toISOString(), actor);
    await recordAudit(tx, now, { tenantId, actor, action: 'setup.redirect_uri_confirmed' });
  });
}
