// Roster as an operator runs it: what `npm start` runs (scripts/build.mjs's bundle, started by node with `npm start`'s
// flags) on a fresh directory, first-start bootstrap, and a draining SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_NODE_FLAGS } from '../../scripts/build.mjs';
import { bundleMain } from '../support/bundle-main.ts';
import { freePort } from '../support/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let bundle: Awaited<ReturnType<typeof bundleMain>>;

function start(cwd: string, port: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...START_NODE_FLAGS, bundle.entry], {
    cwd,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const ready = async () => {
    for (let i = 0; i < 150; i++) {
      if (output.includes('roster is listening')) return;
      if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`did not start: ${output}`);
  };
  return { child, exited, ready, output: () => output };
}

describe('the roster process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-proc-'));
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    bundle = await bundleMain('roster-process');
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    bundle?.remove();
  });

  it('is what `npm start` runs: scripts/build.mjs builds dist/, then node starts dist/main.mjs with these flags', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.prestart).toBe('node scripts/build.mjs');
    expect(scripts.start).toBe(['node', ...START_NODE_FLAGS, 'dist/main.mjs'].join(' '));
  });

  it('starts on embedded SQLite with no setup, prints the operator token once, and drains on SIGTERM', async () => {
    const port = await freePort();
    const first = start(dir, port);
    children.push(first.child);
    await first.ready();
    const token = /op_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/.exec(first.output())?.[0];
    expect(token).toBeDefined();
    expect(existsSync(join(dir, 'data/roster.db'))).toBe(true);
    expect(statSync(join(dir, 'data/secret.key')).mode & 0o777).toBe(0o600);

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const created = await fetch(`${base}/iam/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Acme' }),
    });
    expect(created.status).toBe(201);
    const { adminToken } = (await created.json()) as { adminToken: string };
    // The log carries request lines but never a token or secret.
    expect(first.output()).not.toContain(adminToken.split('.')[1]);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopped');

    // A restart keeps the data and does not print a new operator token.
    const second = start(dir, port);
    children.push(second.child);
    await second.ready();
    expect(second.output()).not.toMatch(/op_[A-Za-z0-9_-]{22}\./);
    const list = await fetch(`${base}/iam/v1/tenants`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { items: { name: string }[] }).items.map((t) => t.name)).toEqual(['Acme']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start on PostgreSQL without ROSTER_SECRET_KEY, with a clear message', async () => {
    const p = start(dir, await freePort(), { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' });
    children.push(p.child);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('ROSTER_SECRET_KEY is required with PostgreSQL');
  });
});
