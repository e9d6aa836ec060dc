// A small history checker for concurrent set operations (group membership), in the spirit of Jepsen/Elle but
// kept simple enough to be obviously sound: every violation it reports is a real one.
//
// A history is what clients saw: each operation with the client-side time it was invoked and the time its
// response arrived. Whatever the server did for an operation happened somewhere inside that interval.
//
// Checks:
//  1. Per member, the set is a register holding in/out. Writes are `add` (→ in) and `remove` (→ out); a write
//     answered with an error is known not to have happened and is dropped; a write whose outcome is unknown may
//     have happened at any time after its invocation. A read that saw member m in state v is explainable only if
//     some write of v (or the initial state) could be the last write of m before the read, i.e. it was invoked
//     before the read completed and no write of the opposite state lies wholly between it and the read in real
//     time. A read taken after every operation completed is the final state: it must be what some serial order
//     consistent with real time leaves behind.
//  2. Atomicity: members named by exactly one write (and by no other) appear in each read all together or not at
//     all — a read never sees half of one PATCH.
// Sound, not complete: a history it accepts might still fail a full linearizability search over all members.

export type Outcome = 'ok' | 'failed' | 'unknown';

export interface SetWrite {
  readonly type: 'add' | 'remove';
  readonly members: readonly string[];
  readonly invoke: number;
  readonly complete: number;
  readonly outcome: Outcome;
  readonly label?: string;
}

export interface SetRead {
  readonly type: 'read';
  readonly members: ReadonlySet<string>;
  readonly invoke: number;
  readonly complete: number;
  readonly label?: string;
}

export type SetOp = SetWrite | SetRead;

/** Records operations with monotonic client-side timestamps. */
export class SetHistory {
  readonly ops: SetOp[] = [];

  async write(
    type: 'add' | 'remove',
    members: readonly string[],
    run: () => Promise<Outcome>,
    label?: string,
  ): Promise<Outcome> {
    const invoke = performance.now();
    let outcome: Outcome;
    try {
      outcome = await run();
    } catch {
      outcome = 'unknown';
    }
    const complete = performance.now();
    this.ops.push({ type, members, invoke, complete, outcome, ...(label ? { label } : {}) });
    return outcome;
  }

  /** `run` returns the members read, or undefined when the read failed (then nothing is recorded). */
  async read(run: () => Promise<ReadonlySet<string> | undefined>, label?: string): Promise<void> {
    const invoke = performance.now();
    const members = await run();
    const complete = performance.now();
    if (members) this.ops.push({ type: 'read', members, invoke, complete, ...(label ? { label } : {}) });
  }
}

interface RegisterWrite {
  readonly value: boolean;
  readonly invoke: number;
  readonly complete: number;
  readonly label: string;
}

/** Returns the violations found (empty when the history is consistent); `initial` is the set before any op. */
export function checkSetHistory(ops: readonly SetOp[], initial: ReadonlySet<string> = new Set()): string[] {
  const violations: string[] = [];
  const writes = ops.filter((o): o is SetWrite => o.type !== 'read' && o.outcome !== 'failed');
  const reads = ops.filter((o): o is SetRead => o.type === 'read');

  const members = new Set<string>(initial);
  for (const w of writes) for (const m of w.members) members.add(m);
  for (const r of reads) for (const m of r.members) members.add(m);

  const byMember = new Map<string, RegisterWrite[]>();
  for (const m of members) {
    byMember.set(m, [
      { value: initial.has(m), invoke: Number.NEGATIVE_INFINITY, complete: Number.NEGATIVE_INFINITY, label: 'initial' },
    ]);
  }
  for (const [i, w] of writes.entries()) {
    for (const m of new Set(w.members)) {
      byMember.get(m)?.push({
        value: w.type === 'add',
        invoke: w.invoke,
        complete: w.outcome === 'unknown' ? Number.POSITIVE_INFINITY : w.complete,
        label: w.label ?? `${w.type}#${i}`,
      });
    }
  }

  // 1. Per-member register check.
  for (const [ri, r] of reads.entries()) {
    for (const [m, mWrites] of byMember) {
      const seen = r.members.has(m);
      const explained = mWrites.some(
        (w) =>
          w.value === seen &&
          w.invoke < r.complete &&
          !mWrites.some((o) => o.value !== seen && w.complete < o.invoke && o.complete < r.invoke),
      );
      if (!explained) {
        violations.push(
          `${r.label ?? `read#${ri}`} saw ${m} ${seen ? 'in' : 'out'}, but no write could have left it so ` +
            `(writes of ${m}: ${mWrites.map((w) => `${w.label}=${w.value ? 'in' : 'out'}`).join(', ')})`,
        );
      }
    }
  }

  // 2. Atomicity of members only one write names.
  const namedBy = new Map<string, number>();
  for (const w of ops) {
    if (w.type === 'read') continue;
    for (const m of new Set(w.members)) namedBy.set(m, (namedBy.get(m) ?? 0) + 1);
  }
  for (const [wi, w] of writes.entries()) {
    const exclusive = [...new Set(w.members)].filter((m) => namedBy.get(m) === 1 && !initial.has(m));
    if (exclusive.length < 2) continue;
    for (const [ri, r] of reads.entries()) {
      const present = exclusive.filter((m) => r.members.has(m)).length;
      if (present !== 0 && present !== exclusive.length) {
        violations.push(
          `${r.label ?? `read#${ri}`} saw ${present} of the ${exclusive.length} members ${w.label ?? `write#${wi}`} ${w.type}s`,
        );
      }
    }
  }
  return violations;
}
