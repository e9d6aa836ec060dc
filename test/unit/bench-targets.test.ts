// The bench's target verdicts (bench/targets.ts) are computed from the run's figures: a verdict follows its figure
// across the limit, a target whose workload did not run is left out, and SQLite-only targets stay on SQLite.
import { describe, expect, it } from 'vitest';
import { type PassFigures, storeComparison, targetsOf, WORKLOAD } from '../../bench/targets.ts';

const pass = (store: string, over: Partial<PassFigures> = {}): PassFigures => ({
  store,
  users: 2000,
  ceilingOpsPerSec: 10_000,
  workloads: {},
  paging: [],
  membership: [],
  ...over,
});

const verdicts = (passes: PassFigures[]) =>
  Object.fromEntries(targetsOf(passes).map((t) => [`${t.store} | ${t.target}`, `${t.figure} | ${t.met}`]));

describe('bench targets', () => {
  it('judges GET against 65 % of the ceiling on SQLite, on either side of the limit', () => {
    const at = (opsPerSec: number) =>
      verdicts([pass('sqlite', { workloads: { [WORKLOAD.get]: { opsPerSec } } })])[
        `sqlite | ${WORKLOAD.get} ≥ 65 % of the bare node:http ceiling`
      ];
    expect(at(6500)).toBe('65 % | true');
    expect(at(6400)).toBe('64 % | false');
  });

  it('prints only what ran, and keeps the SQLite-only targets off PostgreSQL', () => {
    expect(targetsOf([pass('sqlite')])).toEqual([]);
    expect(targetsOf([pass('sqlite', { scaling: [{ name: WORKLOAD.get, processes: 2, ratio: 0.5 }] })])).toEqual([]);
    const pg = pass('postgres', {
      workloads: { [WORKLOAD.get]: { opsPerSec: 9000 }, [WORKLOAD.post]: { opsPerSec: 100 } },
      membership: [{ op: 'Add', p50ms: 50, lastOverFirst: 1.1 }],
    });
    expect(verdicts([pg])).toEqual({
      'postgres | membership PATCH Add 100: last tenth ≤ 1.2× the first': '1.10× | true',
    });
  });

  it('compares lookup CPU with GET CPU, paging per page, scaling against 0.8 × N, refresh and RSS', () => {
    const v = verdicts([
      pass('postgres', {
        workloads: {
          [WORKLOAD.get]: { opsPerSec: 1, rosterCpuMicros: 200 },
          [WORKLOAD.lookup]: { opsPerSec: 1, rosterCpuMicros: 300 },
        },
        paging: [{ mode: 'index', pages: 20, msPerPage: 25 }],
        scaling: [{ name: WORKLOAD.get, processes: 2, ratio: 1.7 }],
        refreshVsSigning: 3.2,
        peakRssMb: 120,
      }),
    ]);
    expect(v['postgres | userName eq lookup: Roster CPU/op ≤ a GET’s']).toBe('300 vs 200 µs (1.50×) | false');
    expect(
      v['postgres | page through users (index, count=100) < 20 ms a page (at 100,000 users; this run 2,000)'],
    ).toBe('25.0 ms over 20 pages | false');
    expect(v[`postgres | ${WORKLOAD.get}: 2 processes ≥ 1.6× one`]).toBe('1.70× | true');
    expect(v['postgres | refresh grant ≤ 3× its RS256 signing']).toBe('3.20× | false');
    expect(v['postgres | Roster peak RSS < 300 MB (at 1,000,000 users; this run 2,000)']).toBe('120 MB | true');
  });

  it('sets PostgreSQL against SQLite only for workloads both passes ran', () => {
    const sqlite = pass('sqlite', {
      workloads: { [WORKLOAD.get]: { opsPerSec: 4000, rosterCpuMicros: 200 }, [WORKLOAD.post]: { opsPerSec: 1000 } },
    });
    const postgres = pass('postgres', {
      workloads: { [WORKLOAD.get]: { opsPerSec: 3000, rosterCpuMicros: 400 }, [WORKLOAD.patch]: { opsPerSec: 1 } },
    });
    expect(storeComparison(sqlite, postgres)).toEqual([{ name: WORKLOAD.get, opsRatio: 0.75, cpuRatio: 2 }]);
    const v = verdicts([sqlite, postgres]);
    expect(v[`postgres vs sqlite | ${WORKLOAD.get}: ops/s ≥ 70 % of SQLite's`]).toBe('75 % | true');
    expect(v[`postgres vs sqlite | ${WORKLOAD.get}: Roster CPU/op ≤ 1.5× SQLite's`]).toBe('2.00× | false');
    expect(Object.keys(v).filter((k) => k.startsWith('postgres vs sqlite'))).toHaveLength(2);
  });

  it('judges PostgreSQL against SQLite from alternating slices where they ran, and from the passes elsewhere', () => {
    const both = { [WORKLOAD.get]: { opsPerSec: 4000, rosterCpuMicros: 200 }, [WORKLOAD.lookup]: { opsPerSec: 4000 } };
    const sqlite = pass('sqlite', { workloads: both });
    const postgres = pass('postgres', {
      workloads: { [WORKLOAD.get]: { opsPerSec: 2000, rosterCpuMicros: 400 }, [WORKLOAD.lookup]: { opsPerSec: 2000 } },
    });
    const lines = targetsOf([sqlite, postgres], [{ name: WORKLOAD.get, opsRatio: 0.72, cpuRatio: 1.3 }]);
    const v = Object.fromEntries(lines.map((t) => [`${t.store} | ${t.target}`, `${t.figure} | ${t.met}`]));
    expect(v[`postgres vs sqlite | ${WORKLOAD.get} (alternating slices): ops/s ≥ 70 % of SQLite's`]).toBe(
      '72 % | true',
    );
    expect(v[`postgres vs sqlite | ${WORKLOAD.get} (alternating slices): Roster CPU/op ≤ 1.5× SQLite's`]).toBe(
      '1.30× | true',
    );
    expect(v[`postgres vs sqlite | ${WORKLOAD.get}: ops/s ≥ 70 % of SQLite's`]).toBeUndefined();
    expect(v[`postgres vs sqlite | ${WORKLOAD.lookup}: ops/s ≥ 70 % of SQLite's`]).toBe('50 % | false');
  });
});
