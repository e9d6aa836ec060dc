// Membership writes as Entra ID sends them: 100-member Add then Remove PATCHes of one group, one at a time, with
// the first and the last tenth of the batches compared, so a cost that grows with the group shows as a ratio.
import type { LoadResult } from './load.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BATCH = 100;

export interface MembershipPass {
  readonly result: LoadResult;
  readonly line: string;
}

/** Median of the first and of the last tenth of the batches (at least one each). */
function tenths(ms: readonly number[]) {
  const n = Math.max(1, Math.floor(ms.length / 10));
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  return { first: median(ms.slice(0, n)), last: median(ms.slice(-n)) };
}

/** Entra's group create (ADSCIM schema, meta, no members: they follow by PATCH). */
export async function createEntraGroup(origin: string, base: string, json: Record<string, string>, name: string) {
  const res = await fetch(`${origin}${base}/Groups`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:Group',
        'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
      ],
      displayName: name,
      externalId: `bench-${name}`,
      meta: { resourceType: 'Group' },
    }),
  });
  if (res.status !== 201) throw new Error(`group create answered ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * One pass of `op` over `memberIds` in batches of 100. `query` is '' for Entra's exact request; anything else is a
 * labelled variant no IdP sends. A batch counts as an error unless it answers `expected`.
 */
export async function membershipPass(
  origin: string,
  base: string,
  json: Record<string, string>,
  groupId: string,
  memberIds: readonly string[],
  op: 'Add' | 'Remove',
  options: { query: string; label: string; expected: number; cpuSeconds: () => number | undefined },
): Promise<MembershipPass> {
  const batches = Math.floor(memberIds.length / BATCH);
  const tenth = Math.max(1, Math.floor(batches / 10));
  // Roster's CPU over the first and the last tenth: unlike latency it hardly moves when the machine is shared.
  const cpu: Record<'start' | 'first' | 'lastStart' | 'last', number | undefined> = {
    start: undefined,
    first: undefined,
    lastStart: undefined,
    last: undefined,
  };
  const ms: number[] = [];
  const bytes: number[] = [];
  let errors = 0;
  for (let b = 0; b < batches; b++) {
    if (b === 0) cpu.start = options.cpuSeconds();
    if (b === batches - tenth) cpu.lastStart = options.cpuSeconds();
    const value = memberIds.slice(b * BATCH, b * BATCH + BATCH).map((id) => ({ $ref: null, value: id }));
    const t0 = performance.now();
    const res = await fetch(`${origin}${base}/Groups/${groupId}${options.query}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op, path: 'members', value }] }),
    });
    const body = await res.arrayBuffer();
    ms.push(performance.now() - t0);
    bytes.push(body.byteLength);
    if (res.status !== options.expected) errors++;
    if (b === tenth - 1) cpu.first = options.cpuSeconds();
  }
  cpu.last = options.cpuSeconds();
  const perBatchMs = (from?: number, to?: number) =>
    from === undefined || to === undefined ? undefined : ((to - from) / tenth) * 1000;
  const cpuFirst = perBatchMs(cpu.start, cpu.first);
  const cpuLast = perBatchMs(cpu.lastStart, cpu.last);
  const cpuText =
    cpuFirst === undefined || cpuLast === undefined
      ? ''
      : `, Roster CPU per batch ${cpuFirst.toFixed(2)} → ${cpuLast.toFixed(2)} ms`;
  const sorted = [...ms].sort((x, y) => x - y);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  const { first, last } = tenths(ms);
  const name = `PATCH ${op} 100 members ${options.label}`;
  const ratio = first > 0 ? last / first : 0;
  const line = `  ${name} × ${batches} (group ${op === 'Add' ? 'growing to' : 'shrinking from'} ${batches * BATCH}): p50 ${p50.toFixed(2)} ms, first tenth ${first.toFixed(2)} ms, last tenth ${last.toFixed(2)} ms (× ${ratio.toFixed(2)})${cpuText}, answer ${bytes[0] ?? 0} → ${bytes.at(-1) ?? 0} bytes, errors ${errors}`;
  return {
    line,
    result: {
      name,
      ops: batches,
      seconds: ms.reduce((a, x) => a + x, 0) / 1000,
      opsPerSec: 0,
      p50ms: p50,
      p99ms: p99,
      errors,
      statuses: {
        firstTenthMs: first,
        lastTenthMs: last,
        lastOverFirst: ratio,
        lastAnswerBytes: bytes.at(-1) ?? 0,
        ...(cpuFirst === undefined || cpuLast === undefined
          ? {}
          : { cpuFirstTenthMs: cpuFirst, cpuLastTenthMs: cpuLast }),
      },
    },
  };
}
