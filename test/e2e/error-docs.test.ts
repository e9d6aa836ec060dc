// docs/errors.md must list exactly the problem codes the admin API can produce.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CODES, statusOf } from '../../src/http/problem.ts';

describe('docs/errors.md', () => {
  const text = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  const documented = new Map(
    [...text.matchAll(/^\| `([a-z_.]+)` \| (\d{3}) \|/gm)].map((m) => [m[1] as string, Number(m[2])]),
  );

  it('documents every problem code with its status, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...PROBLEM_CODES].sort());
    for (const code of PROBLEM_CODES) expect(documented.get(code), code).toBe(statusOf(code));
  });
});
