// The disk's commit ceiling: how many write+fdatasync round trips, and how many single-row SQLite commits
// (WAL, synchronous=FULL), one thread completes per second on the filesystem the bench's temp store uses.
// With group commit, durable writes/s can reach at most this commit rate × the batch size.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
const seconds = Number(values.seconds);

function rate(run: () => void): { perSecond: number; p50Us: number } {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    perSecond: Math.round((samples.length / total) * 1000),
    p50Us: Math.round(samples[Math.floor(samples.length / 2)]! * 1000),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'roster-fsync-'));
try {
  const fd = openSync(join(dir, 'log'), 'w');
  const page = Buffer.alloc(4096, 1);
  let offset = 0;
  // Appending, like the WAL: each round writes a new page, then waits for it to reach the disk.
  const fdatasync = rate(() => {
    writeSync(fd, page, 0, page.length, offset);
    offset += page.length;
    fdatasyncSync(fd);
  });
  closeSync(fd);

  const db = new BetterSqlite3(join(dir, 'ceiling.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, body text not null)');
  const insert = db.prepare('insert into t (body) values (?)');
  const body = 'x'.repeat(600);
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const sqliteCommit = rate(() => {
    begin.run();
    insert.run(body);
    commit.run();
  });
  db.close();
  const result = { fdatasync, sqliteCommit, filesystem: tmpdir() };
  console.log(values.json ? JSON.stringify(result) : result);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
