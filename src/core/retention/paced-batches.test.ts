import { describe, expect, it } from 'vitest';
import { inPacedBatches } from './paced-batches.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('inPacedBatches', () => {
  it('runs batches until one comes back short, pausing after each full one with its duration', async () => {
    const left = [10];
    const limits: number[] = [];
    const pauses: number[] = [];
    const removed = await inPacedBatches(
      async (limit) => {
        limits.push(limit);
        const n = Math.min(limit, left[0]!);
        left[0]! -= n;
        await sleep(5);
        return n;
      },
      {
        batchSize: 4,
        pause: async (ms) => {
          pauses.push(ms);
        },
      },
    );
    expect(removed).toBe(10);
    expect(limits).toEqual([4, 4, 4]);
    expect(pauses).toHaveLength(2);
    for (const ms of pauses) expect(ms).toBeGreaterThanOrEqual(4);
  });

  it('takes at most its share of the time while a backlog lasts', async () => {
    // Three full batches of 20 ms at a share of 1/3: each is followed by a pause of twice its duration.
    let batches = 0;
    const busy: number[] = [];
    const started = performance.now();
    await inPacedBatches(
      async (limit) => {
        const t = performance.now();
        await sleep(20);
        busy.push(performance.now() - t);
        return ++batches <= 3 ? limit : 0;
      },
      { batchSize: 10, share: 1 / 3 },
    );
    const elapsed = performance.now() - started;
    const working = busy.reduce((x, y) => x + y, 0);
    // Working time over elapsed time: the last (short) batch has no pause after it, so it is a little above 1/3.
    const pausedFor = busy.slice(0, 3).reduce((x, y) => x + 2 * y, 0);
    expect(elapsed).toBeGreaterThanOrEqual(working + pausedFor - 3);
  });

  it('lets the requests queued during a batch run before the next one, even after a batch of no time', async () => {
    const order: string[] = [];
    let batches = 0;
    await inPacedBatches(async (limit) => {
      order.push(`batch ${batches}`);
      setImmediate(() => order.push(`request after batch ${batches}`));
      return ++batches < 3 ? limit : 0;
    });
    expect(order).toEqual(['batch 0', 'request after batch 1', 'batch 1', 'request after batch 2', 'batch 2']);
  });
});
