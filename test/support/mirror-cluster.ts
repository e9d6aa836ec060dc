// Roster child processes on one store for the mirror test: one on a SQLite file, one on PostgreSQL, or two sharing
// one PostgreSQL database. Any of them can be `kill -9`ed and restarted on the same port, store and secret key, so
// the test's HTTP client (and the webhook secrets sealed with the key) stay valid across the restart.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { generateKeyText } from '../../src/lib/keyring.ts';
import { openStore } from '../../src/store/open-store.ts';
import { OPERATOR_TOKEN } from './app.ts';
import { freePort } from './free-port.ts';
import { type Client, httpClient } from './http.ts';
import { type RosterProcess, startRoster } from './process.ts';
import { freshLocation } from './stores.ts';

export const MIRROR_TARGETS = ['sqlite', 'postgres', 'postgres, two processes'] as const;
export type MirrorTarget = (typeof MIRROR_TARGETS)[number];

export interface Cluster {
  readonly name: MirrorTarget;
  /** Round-robin over the processes unless a request names one with `via`. */
  readonly client: Client;
  readonly size: number;
  /** SIGKILL, and wait until the process is gone: whatever it had in flight is cut off. */
  kill(index: number): Promise<void>;
  /** A new process on the same port, store and key; resolves when it answers /readyz. */
  restart(index: number): Promise<void>;
  /**
   * Which process holds the loopback TCP connection whose local port is `port` (a receiver's peer port), found
   * through /proc on Linux; undefined when none does (or elsewhere).
   */
  indexOfConnection(port: number): number | undefined;
  /** Output of the current process at `index` (for failure messages). */
  output(index: number): string;
  dispose(): Promise<void>;
}

export async function startCluster(
  name: MirrorTarget,
  extraEnv: Record<string, string>,
  entry?: string,
): Promise<Cluster> {
  const { location, drop } = await freshLocation(name === 'sqlite' ? 'sqlite' : 'postgres');
  // Migrate up front, so that processes starting together find a ready schema.
  await (await openStore(location)).close();
  const shared = {
    DATABASE_URL: location.kind === 'sqlite' ? `sqlite:${location.path}` : location.url,
    ROSTER_SECRET_KEY: generateKeyText('k1'),
    ROSTER_BOOTSTRAP_TOKEN: OPERATOR_TOKEN,
    HOST: '127.0.0.1',
    // Processes behind one address, as in production: the URLs in SCIM meta.location (and so in event bodies) must
    // not depend on which process wrote or read them.
    ROSTER_PUBLIC_URL: 'https://roster.mirror.test',
    LOG_LEVEL: 'warn',
    // Room for test traffic from one address; the rate-limit suites test the limits themselves.
    ROSTER_SCIM_BURST_TENANT: '1000000',
    ROSTER_SCIM_BURST_TOKEN: '1000000',
    ROSTER_SCIM_RATE_TENANT: '1000000',
    ROSTER_SCIM_RATE_TOKEN: '1000000',
    ROSTER_AUTH_FAILURE_BURST: '1000000',
    ROSTER_AUTH_FAILURE_RATE: '1000000',
    ...extraEnv,
  };
  const size = name === 'postgres, two processes' ? 2 : 1;
  const envs = await Promise.all(
    Array.from({ length: size }, async () => ({ ...shared, PORT: String(await freePort()) })),
  );
  const processes: RosterProcess[] = await Promise.all(envs.map((env) => startRoster(env, entry)));
  const http = httpClient(envs.map((env) => `http://127.0.0.1:${env.PORT}`));
  const at = (index: number) => {
    const p = processes[index];
    if (!p) throw new Error(`no process ${index}`);
    return p;
  };
  const stop = async (p: RosterProcess, signal: NodeJS.Signals) => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
    await p.exited();
  };
  return {
    name,
    client: http,
    size,
    async kill(index) {
      await stop(at(index), 'SIGKILL');
    },
    async restart(index) {
      processes[index] = await startRoster(envs[index]!, entry);
    },
    indexOfConnection(port) {
      const inode = socketInode(port);
      if (inode === undefined) return undefined;
      const index = processes.findIndex((p) => p.child.pid !== undefined && holdsSocket(p.child.pid, inode));
      return index < 0 ? undefined : index;
    },
    output: (index) => at(index).output(),
    async dispose() {
      await http.close();
      await Promise.all(processes.map((p) => stop(p, 'SIGTERM')));
      await drop();
    },
  };
}

/** The inode of the TCP socket bound locally to `port` (/proc/net/tcp and tcp6: hex ports, inode in column 10). */
function socketInode(port: number): string | undefined {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1]?.split(':').pop();
      if (local !== undefined && Number.parseInt(local, 16) === port && columns[9] && columns[9] !== '0') {
        return columns[9];
      }
    }
  }
  return undefined;
}

function holdsSocket(pid: number, inode: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
