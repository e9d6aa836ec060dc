// The bench's child processes: Roster (one or several on one store) and the bare servers, all stopped at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '../test/support/free-port.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** `count` loopback origins on ports free right now, for servers about to start. */
export async function freeOrigins(count: number): Promise<string[]> {
  const origins: string[] = [];
  for (let i = 0; i < count; i++) origins.push(`http://127.0.0.1:${await freePort()}`);
  return origins;
}

/**
 * How the bench runs Roster: `bundle` is what `npm start` runs (scripts/build.mjs, then dist/main.mjs, with
 * `npm start`'s V8 flags); `tsx` is the source through tsx's hooks (`npm run dev`), for comparison.
 */
export type RosterRuntime = { kind: 'bundle'; entry: string; nodeFlags: readonly string[] } | { kind: 'tsx' };

/**
 * Builds the bundle `npm start` runs into a scratch directory of the bench, with `npm start`'s own V8 flags; from
 * this checkout, or with `root`'s own build script from another (an A/B's other build).
 */
export async function bundledRoster(
  dir: string,
  extraFlags: readonly string[] = [],
  root: string = ROOT,
): Promise<RosterRuntime> {
  const { buildRoster, START_NODE_FLAGS } = await import(join(resolve(root), 'scripts/build.mjs'));
  return { kind: 'bundle', entry: await buildRoster(dir), nodeFlags: [...START_NODE_FLAGS, ...extraFlags] };
}

/** Starts one Roster process per origin, all on one store; each is added to `children` as soon as it is spawned. */
export async function startRosters(
  origins: readonly string[],
  env: (origin: string) => Record<string, string>,
  children: ChildProcess[],
  runtime: RosterRuntime,
  profileDir?: string,
): Promise<{ origins: readonly string[]; processes: ChildProcess[] }> {
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
  const program =
    runtime.kind === 'bundle'
      ? [...runtime.nodeFlags, runtime.entry]
      : ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/main.ts')];
  const started: { origin: string; child: ChildProcess }[] = [];
  for (const origin of origins) {
    const port = new URL(origin).port;
    const child = spawn(process.execPath, [...profiling, ...program], {
      env: { ...process.env, ...env(origin), PORT: port },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    started.push({ origin, child });
  }
  // A loaded machine can take a while to start Roster (tsx compiling it); the bench waits rather than fails.
  for (const { origin, child } of started) await waitFor(`${origin}/healthz`, child, 180);
  return { origins, processes: started.map((s) => s.child) };
}

/** The ceiling: a bare node:http server answering a fixed SCIM ListResponse, for `startBare`. */
export const BARE_NODE_HTTP = `require('node:http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/scim+json'});s.end('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"x"}]}')}).listen(+process.env.PORT,'127.0.0.1')`;

/** A one-line node:http or Fastify server on a free port, started and answering. */
export async function startBare(
  script: string,
  children: ChildProcess[],
): Promise<{ origin: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { PORT: String(port) }, stdio: 'ignore' });
  children.push(child);
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/`, child);
  return { origin, child };
}

/** SIGTERM to each child, then SIGKILL to any still running after `graceMs`; resolves once all have exited. */
export async function stopChildren(children: readonly ChildProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }),
  );
}
