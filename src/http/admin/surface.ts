// What every admin route module shares: the surface's dependencies and its problem+json error responses. Kept apart
// from plugin.ts, which registers the route modules, so that they do not import the module that imports them.
import type { AuthDeps } from '../../core/auth/principal.ts';
import type { Mailer } from '../../core/credentials/mail.ts';
import type { CredentialStore } from '../../core/credentials/ports.ts';
import type { DirectoryStore } from '../../core/directory/ports.ts';
import type { TxtLookup } from '../../core/domains/ports.ts';
import type { EventFeedStore } from '../../core/events/ports.ts';
import type { ScimLogBuffer } from '../../core/scim/log.ts';
import type { ScimStore } from '../../core/scim/ports.ts';
import type { SetupStore } from '../../core/setup/ports.ts';
import type { SigninStore } from '../../core/signin/ports.ts';
import type { Telemetry } from '../../core/telemetry/ports.ts';
import type { WebhookStore, WebhookUrlCheck } from '../../core/webhooks/ports.ts';

export interface AdminSurfaceDeps extends AuthDeps {
  readonly publicUrl: string;
  readonly scim: ScimStore;
  readonly signin: SigninStore;
  readonly scimLog: ScimLogBuffer;
  readonly events: EventFeedStore;
  readonly webhooks: WebhookStore;
  /** The outbound sender's URL policy, at create and update time. */
  readonly checkWebhookUrl: WebhookUrlCheck;
  readonly directory: DirectoryStore;
  /** Setup links, test sign-ins, the setup checklist (ADR 0029). */
  readonly setup: SetupStore;
  /** DNS TXT lookups of domain verification (ROSTER_DNS_SERVERS). */
  readonly lookupTxt: TxtLookup;
  readonly telemetry?: Telemetry | undefined;
  /** Roster ID credentials (ADR 0040): invitations, the scimAloneMode setting. */
  readonly credentials?: CredentialStore | undefined;
  /** Sends invitation mails (ADR 0040); undefined without ROSTER_SMTP_URL. */
  readonly mailer?: Mailer | undefined;
  /** Asks the mail outbox for a round now (a link was queued). */
  readonly mailQueued?: (() => void) | undefined;
}

const problemRef = { $ref: 'Problem#' };
export const errorResponses = {
  400: problemRef,
  401: problemRef,
  403: problemRef,
  404: problemRef,
  409: problemRef,
  422: problemRef,
  503: problemRef,
} as const;
