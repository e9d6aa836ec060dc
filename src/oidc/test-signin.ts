// Test sign-ins through the broker (ADR 0029): the upstream login's own start and callback checks, then the
// resolution rule applied as a preview. No interaction, no OP session, no authorization code: nothing signs in.
import type { Store } from '../core/ports.ts';
import type { SetupStore, TestSignInOutcome, TestSignInRecord } from '../core/setup/ports.ts';
import {
  beginTestSignIn,
  claimsToShow,
  finishTestSignIn,
  sameBrowser,
  type TestReturnStep,
  type TestStartStep,
} from '../core/setup/test-signins.ts';
import { isRefusal } from '../core/signin/outcomes.ts';
import type { SigninStore } from '../core/signin/ports.ts';
import { previewSignIn } from '../core/signin/preview.ts';
import type { Clock } from '../lib/clock.ts';
import type { Keyring } from '../lib/keyring.ts';
import type { UpstreamLogin } from './upstream-login.ts';

export interface TestSignInDeps {
  readonly store: Store;
  readonly signin: SigninStore;
  readonly setup: SetupStore;
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** An UpstreamLogin that does not audit refusals as sign-in refusals. */
  readonly login: UpstreamLogin;
}

/** The upstream login's interaction for a test: the path under /{tenantId}/signin/ its callback continues at. */
export const testInteraction = (id: string) => `test/${id}`;

export class TestSignIns {
  constructor(private readonly deps: TestSignInDeps) {}

  async start(tenantId: string, id: string, key: string): Promise<TestStartStep> {
    const begun = await beginTestSignIn(this.deps, tenantId, id, key);
    if (begun.kind === 'refused') return begun;
    const url = await this.deps.login.start(tenantId, testInteraction(id), begun.record.scheme);
    if (isRefusal(url)) {
      const outcome: TestSignInOutcome = { result: 'refused', reason: url.reason };
      await finishTestSignIn(this.deps, begun.record, outcome);
      return { kind: 'finished', outcome };
    }
    return { kind: 'redirect', location: url.href, browserSecret: begun.browserSecret };
  }

  /** The callback of a test: verified like a sign-in's, then resolved as a preview and recorded once. */
  async finish(
    tenantId: string,
    id: string,
    cookie: string | undefined,
    query: URLSearchParams,
  ): Promise<TestReturnStep> {
    const record = await this.deps.setup.testSignIns.get(tenantId, id);
    if (!record) return { kind: 'gone' };
    const ours = sameBrowser(this.deps, record, cookie);
    if (record.status === 'finished' && record.outcome)
      return ours ? { kind: 'finished', outcome: record.outcome } : { kind: 'gone' };
    const uid = testInteraction(id);
    const outcome = await this.outcomeOf(
      record,
      await this.deps.login.verify(tenantId, { uid, cookieUid: ours ? uid : '' }, query),
    );
    if (!(await finishTestSignIn(this.deps, record, outcome))) return { kind: 'gone' };
    return { kind: 'finished', outcome };
  }

  private async outcomeOf(
    _record: TestSignInRecord,
    verified: Awaited<ReturnType<UpstreamLogin['verify']>>,
  ): Promise<TestSignInOutcome> {
    if (isRefusal(verified)) return { result: 'refused', reason: verified.reason };
    const claims = claimsToShow(verified.result.claims);
    const preview = await previewSignIn(this.deps, verified.sso, verified.identity);
    if (preview.kind === 'refused') {
      return {
        result: 'refused',
        reason: preview.reason,
        claims,
        subject: { userId: preview.userId, userName: preview.userName, how: 'refused' },
      };
    }
    return {
      result: 'resolved',
      claims,
      subject: {
        userId: preview.userId,
        userName: preview.userName,
        how: preview.how,
        ...(preview.rule ? { rule: preview.rule } : {}),
      },
    };
  }
}
