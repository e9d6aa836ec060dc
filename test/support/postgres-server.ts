// A throwaway PostgreSQL server for the test suite: initdb + pg_ctl under a temp dir on a free loopback port.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found. The store tests run on PostgreSQL as well as SQLite and never skip it. ' +
  'Install them with: apt-get install -y postgresql (Debian/Ubuntu) or brew install postgresql@15 (macOS), ' +
  'or point TEST_DATABASE_URL at a server where the user may CREATE DATABASE.';

function findBinDir(): string {
  const fromPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  const candidates: string[] = [];
  if (fromPath) candidates.push(join(fromPath, '..'));
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort().reverse()) candidates.push(join(root, version, 'bin'));
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(INSTALL_HINT);
}

export interface PostgresServer {
  readonly url: string;
  /** The data directory's parent: the server log is `server.log` there. */
  readonly dir: string;
  /** Stops the server and removes its files. */
  stop(): void;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint, as in a crash; `start()` recovers it. */
  crash(): void;
  /** Starts the server again on the same port (crash recovery replays its WAL). */
  start(): void;
  /** Runs a command as the server's user (root runs the server as the postgres system user). */
  runAsServerUser(command: string, args: string[]): void;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'roster-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  // initdb refuses to run as root; the server then runs as the postgres system user.
  const runAsServerUser = (command: string, args: string[]) => {
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  };
  const run = (cmd: string, args: string[]) => runAsServerUser(join(bin, cmd), args);
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  run('initdb', ['-D', data, '-U', 'roster', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-k ${dir}`,
    '-c fsync=on',
    '-c synchronous_commit=on',
    '-c max_connections=200',
    '-c shared_buffers=128MB',
  ].join(' ');
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  return {
    url: `postgres://roster@127.0.0.1:${port}/postgres`,
    dir,
    start,
    crash: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    runAsServerUser,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates the empty database `name` on the server at `adminUrl`; answers the URL that connects to it. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
