// What the sign-in routes need from the sign-in engine (implemented in src/oidc, wired in app.ts), so http never
// imports oidc. The answers are the core's sign-in outcomes, declared once in core/signin/outcomes.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestReturnStep, TestStartStep } from '../../core/setup/test-signins.ts';
import type { DelegatedToken, InteractionStep, Refusal } from '../../core/signin/outcomes.ts';

export interface SignInSurface {
  /** false: no such tenant. */
  handleProtocol(tenantId: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  interaction(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<InteractionStep>;
  startUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    scheme: string,
  ): Promise<URL | Refusal>;
  interactionOfState(tenantId: string, state: string): Promise<string | undefined>;
  completeUpstream(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    query: URLSearchParams,
  ): Promise<Refusal | { readonly kind: 'finished' }>;
  abort(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void>;
  /** Throws signin.interaction_expired / _mismatch unless the browser's interaction is `uid` (ADR 0040). */
  checkInteraction(tenantId: string, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void>;
  /** Ends the interaction for a person who proved Roster ID credentials, as SSO does (ADR 0040). */
  completeLocal(
    tenantId: string,
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    userId: string,
    amr: string[],
  ): Promise<{ readonly kind: 'finished' }>;
  delegatedToken(tenantId: string, accessToken: string): Promise<DelegatedToken>;
  startTestSignIn(tenantId: string, id: string, key: string): Promise<TestStartStep>;
  finishTestSignIn(
    tenantId: string,
    id: string,
    cookie: string | undefined,
    query: URLSearchParams,
  ): Promise<TestReturnStep>;
}
