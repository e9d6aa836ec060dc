// `npx tsx bench/http-ab.ts --store sqlite|postgres|both [--only get,lookup,post,patch]`: Entra's GET /Users/{id}, its
// `userName eq` lookup, POST /Users and the Replace PATCH over HTTP, in short alternating slices against one Roster
// process, so that they compare on the same machine state.
// `npm run bench` runs each workload once, GET first: on a box whose speed drifts, the order of the workloads can
// look like a difference in cost. Each round runs the bare node:http server, then each workload in an order that
// alternates from round to round; it prints each round's Roster (and PostgreSQL) CPU per request and the medians,
// with the lookup's CPU as a ratio to the GET's of the same round.
// With `--before DIR` (another checkout, node_modules linked), that build's bundle runs too, on the same store, and
// every slice is taken from both builds in alternating order: the medians of after/before per workload are an A/B
// over HTTP, with the workload a change does not touch as its control.
// With `--store both`, this build runs twice, on SQLite and on PostgreSQL, each store seeded alike, and the slices
// alternate between the two: the medians of postgres/sqlite are issue 14's "PostgreSQL at ≥ 70 % of SQLite" measured
// on the same machine state, where `npm run bench` measures the two stores minutes apart.
import { parseArgs } from 'node:util';
import { alternate } from './alternate.ts';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    users: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    before: { type: 'string' },
    only: { type: 'string', default: 'get,lookup' },
  },
});

const report = await alternate({
  store: args.store,
  users: Number(args.users),
  rounds: Number(args.rounds),
  seconds: Number(args.seconds),
  concurrency: Number(args.concurrency),
  before: args.before,
  only: args.only,
});
console.log(JSON.stringify(report, null, 2));
