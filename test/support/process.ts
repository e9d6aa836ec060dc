// Roster as a child process (`src/main.ts` through tsx), as the fault tests run it: start, wait ready, signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { generateKeyText } from '../../src/lib/keyring.ts';
import type { StoreLocation } from '../../src/store/open-store.ts';
import { OPERATOR_TOKEN, SEED_001_PROVIDER } from './app.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const READY_MS = 60_000;

export interface RosterProcess {
  readonly child: ChildProcess;
  readonly origin: string;
  /** stdout + stderr so far */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal), also when it has already exited. */
  exited(): Promise<number | null>;
}

export function rosterEnv(location: StoreLocation, port: number, extra: Record<string, string> = {}) {
  return {
    PORT: String(port),
    DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
    ROSTER_SECRET_KEY: generateKeyText(),
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    ROSTER_SCIM_BURST_TENANT: '1000000',
    ROSTER_SCIM_BURST_TOKEN: '1000000',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `entry`: a bundle of src/main.ts to run instead of the source through tsx (it starts about twice as fast). */
export async function startRoster(env: Record<string, string>, entry?: string): Promise<RosterProcess> {
  const args = entry ? [entry] : ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const origin = `http://127.0.0.1:${env.PORT}`;
  // Readiness is waited for, not asserted: with test files sharing a loaded 2-core box a start can take 30 s.
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`roster exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${origin}/readyz`)).ok) {
        return { child, origin, output: () => output, exited: () => exit };
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`roster did not become ready: ${output}`);
}

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

/** A tenant with an SSO provider and a SCIM token, made through the HTTP API of a running Roster. */
export async function provisionTenant(
  origin: string,
): Promise<{ base: string; token: string; tenantId: string; adminToken: string }> {
  const tenant = (await (
    await fetch(`${origin}/iam/v1/tenants`, {
      method: 'POST',
      headers: json(OPERATOR_TOKEN),
      body: JSON.stringify({ name: 'Faults' }),
    })
  ).json()) as { id: string; adminToken: string };
  await fetch(`${origin}/iam/v1/sso/azuread`, {
    method: 'POST',
    headers: json(tenant.adminToken),
    body: JSON.stringify({ ...SEED_001_PROVIDER, scheme: 'entra' }),
  });
  const token = (
    (await (
      await fetch(`${origin}/iam/v1/scim`, {
        method: 'POST',
        headers: json(tenant.adminToken),
        body: JSON.stringify({ provider: 'entra', providerDisplayName: 'x' }),
      })
    ).json()) as { token: string }
  ).token;
  return { base: `/${tenant.id}/api/scim/v2`, token, tenantId: tenant.id, adminToken: tenant.adminToken };
}
