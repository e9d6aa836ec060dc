// docs/errors.md must list exactly the codes each surface can produce, with the status (and scimType) it sends.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DomainError, type DomainErrorCode } from '../../src/core/errors.ts';
import { HTTP_ERROR_CODES, PROBLEM_CODES, statusOf } from '../../src/http/problem.ts';
import { domainToWire, SCIM_TYPE_STATUS, SURFACE_STATUS } from '../../src/http/scim/errors.ts';

const text = readFileSync(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const [adminPart, scimPart] = text.split(/^## SCIM surface/m) as [string, string];

/** Rows `| \`name\` | status | …` of a part of the document, as name → the cells after the name. */
function rows(part: string): Map<string, string[]> {
  return new Map(
    [...part.matchAll(/^\| `([A-Za-z_.]+)` \| (\d{3}) \|(.*)$/gm)].map((m) => [
      m[1] as string,
      [m[2] as string, ...(m[3] as string).split(' | ').map((c) => c.trim())],
    ]),
  );
}

const domainCodes = PROBLEM_CODES.filter(
  (code) => !(HTTP_ERROR_CODES as readonly string[]).includes(code),
) as DomainErrorCode[];

describe('docs/errors.md', () => {
  it('has both parts', () => {
    expect(scimPart).toBeDefined();
    expect(rows(scimPart).size).toBeGreaterThan(10);
  });

  it('documents every problem code with its status, and nothing else', () => {
    const documented = rows(adminPart);
    expect([...documented.keys()].sort()).toEqual([...PROBLEM_CODES].sort());
    for (const code of PROBLEM_CODES) expect(Number(documented.get(code)?.[0]), code).toBe(statusOf(code));
  });

  it('documents every scimType with its status, and every code the SCIM surface sends, and nothing else', () => {
    const documented = rows(scimPart);
    const expected = new Map<string, { status: number; scimType: string }>();
    for (const [scimType, status] of Object.entries(SCIM_TYPE_STATUS)) expected.set(scimType, { status, scimType });
    for (const code of domainCodes) {
      const wire = domainToWire(new DomainError(code, 'x'));
      if (wire) expected.set(code, { status: wire.status, scimType: wire.scimType ?? '—' });
    }
    for (const [code, status] of Object.entries(SURFACE_STATUS)) expected.set(code, { status, scimType: '—' });
    expected.set('internal', { status: 500, scimType: '—' });
    expect([...documented.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, { status, scimType }] of expected) {
      const [docStatus, second] = documented.get(name) ?? [];
      expect(Number(docStatus), name).toBe(status);
      // The code table's third column is the scimType; the scimType table's is prose.
      if (!(name in SCIM_TYPE_STATUS)) expect(second?.replaceAll('`', ''), name).toBe(scimType);
    }
  });
});
