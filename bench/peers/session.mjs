/**
 * One run of one session benchmark scenario, started by bench/session.py with one JSON argument (`scenario`,
 * `protocol`, `n`, `interval`, `devHostUrl`, `emulatorUrl`, `smallSession`, `bingoPaceMs`): fresh worker processes
 * (worker.mjs, over IPC) host the peers, the scenario drives them and reads what each was seen to do and the
 * emulator's billing counters; the last line printed is `{sample, errors}`. Times are wall-clock ms, comparable
 * between the processes of one machine. A new scenario (another game, say) is one more function of SCENARIOS.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { channelNameFor, inboxChannelFor, randomSessionId } from '../../site/session-id.js';

const config = JSON.parse(process.argv[2]);
// Up to smallSession peers (friends) each get a process of their own, as each friend has a device; larger
// sessions share processes, PEERS_PER_WORKER each, so that 200 fit on two cores.
const PEERS_PER_WORKER = 25;
const CONNECTED_INTERVAL_MS = 1_000; // the host answers one clientId's `connected` at most once a second
const now = () => performance.timeOrigin + performance.now();
const [workers, peers, errors, waiters] = [[], new Map(), [], new Set()];

/** What one peer was seen to do: its roster (`seen`: when each id first came), the last value and time of every
 * other event, and when each `event value` first came (`word 3`: word 3 visible). */
class Peer {
  constructor(worker) {
    Object.assign(this, { worker, roster: new Set(), seen: new Map(), last: new Map(), first: new Map() });
  }

  get(event) {
    return this.last.get(event)?.[0];
  }

  /** When `event` last came (with `value`, only if that is its last value). */
  at(event, value) {
    const [got, t] = this.last.get(event) ?? [];
    return value === undefined || got === value ? t : undefined;
  }

  /** When the last of `ids` appeared in the roster, if all are in it now. */
  sees(ids) {
    return ids.every((id) => this.roster.has(id)) ? Math.max(...ids.map((id) => this.seen.get(id))) : undefined;
  }
}

function observe({ e, p, t, v, add, del, message }) {
  if (e === 'error') errors.push(`peer error ${p}: ${message}`);
  const peer = peers.get(p);
  if (!peer) return;
  if (e === 'roster') {
    for (const id of add) peer.roster.add(id) && !peer.seen.has(id) && peer.seen.set(id, t);
    for (const id of del) peer.roster.delete(id);
  } else {
    peer.last.set(e, [v, t]);
    if (!peer.first.has(`${e} ${v}`)) peer.first.set(`${e} ${v}`, t);
  }
  for (const waiter of waiters) waiter(p);
}

function startWorker() {
  const worker = fork(new URL('./worker.mjs', import.meta.url), [JSON.stringify(config)], { stdio: 'inherit' });
  workers.push(worker.on('message', observe));
  return new Promise((resolve, reject) => {
    worker.on('message', ({ e }) => e === 'ready' && resolve(worker));
    worker.once('exit', (code) => reject(new Error(`a peer worker exited (${code}) before it was ready`)));
  });
}

/** A fresh session, `n` peer names and a worker for each: up to smallSession one each, else the first `dedicated`
 * one each (so killing one ends only that peer) and the rest PEERS_PER_WORKER to a worker. */
async function start(n, prefix, dedicated = 0) {
  const small = n <= config.smallSession;
  const own = await Promise.all(Array.from({ length: small ? n : dedicated }, startWorker));
  const count = small ? 0 : Math.ceil((n - dedicated) / PEERS_PER_WORKER);
  const shared = await Promise.all(Array.from({ length: count }, startWorker));
  const assigned = [...own, ...Array.from({ length: n - own.length }, (_, index) => shared[index % count])];
  return [`bench-${randomSessionId()}`, assigned.map((_, index) => `${prefix}${index}`), assigned];
}

function join(name, worker, session, role = 'guest') {
  peers.set(name, new Peer(worker));
  worker.send({ c: 'join', p: name, proto: config.protocol, role, session, interval: config.interval });
}

/** `stream(times)`, `flood(count)`, `playBingo(paceMs)` or `close()` one peer; its `called` event says it is done. */
const call = (name, method, ...args) => peers.get(name).worker.send({ c: 'call', p: name, method, args });

/** Until `when(peer)` gives a time for every named peer: the latest; a peer is checked again only after an event of
 * its own, so N peers × N events stay cheap. Rejects naming `what` and how many were late. */
function until(names, when, what, timeout = 30_000) {
  const pending = new Set(names.filter((name) => when(peers.get(name)) == null));
  const latest = () => Math.max(0, ...names.map((name) => when(peers.get(name)) ?? 0));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`${pending.size} of ${names.length} peers not ${what} within ${timeout / 1000} s`));
    }, timeout);
    const check = (name) => {
      if (pending.has(name) && when(peers.get(name)) != null) pending.delete(name);
      if (pending.size) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(latest());
    };
    waiters.add(check);
    check();
  });
}

/** SIGKILL a worker, as a crashed browser or a dead network ends its peers; when (wall ms). */
function kill(worker) {
  worker.kill('SIGKILL');
  return now();
}

/** CPU seconds all live workers have used so far (/proc/PID/stat's user + system, in 100 Hz clock ticks). */
const cpuSeconds = () =>
  workers
    .filter((worker) => worker.exitCode === null && !worker.killed)
    .map((worker) => readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(')').at(-1).trim().split(' '))
    .reduce((sum, fields) => sum + (Number(fields[11]) + Number(fields[12])) / 100, 0);

const stats = async () => (await (await fetch(`${config.emulatorUrl}/_emulator/stats`)).json()).channels;
const reset = () => fetch(`${config.emulatorUrl}/_emulator/stats/reset`, { method: 'POST' });

/** Since the last reset, on the session's channels (`p2p:<id>`, and the site's inboxes), as Ably bills. */
async function cost(session) {
  const channel = channelNameFor(session);
  const mine = Object.entries(await stats()).filter(([name]) => name === channel || name.startsWith(`${channel}:`));
  const sum = (key) => mine.reduce((total, [, counts]) => total + key(counts), 0);
  return {
    deliveries: sum((c) => c.messages_delivered + c.presence_delivered),
    published: sum((c) => c.messages_published + c.presence_published),
    mb: sum((c) => c.bytes_out) / 1e6,
    max_message: Math.max(0, ...mine.map(([, c]) => c.max_message_bytes)),
  };
}

const acknowledged = (peer) => peer.at('status', 'acknowledged');
const joined = (peer) => peer.at('joined');
/** Joined (its id known: the join's promise resolved) and holding the host's state. */
const ready = (peer) => (joined(peer) ? acknowledged(peer) : undefined);
const done = (method) => (peer) => peer.at('called', method);
const ids = (names) => names.map((name) => peers.get(name).get('joined'));

/** N peers join one after another (each until it is in every roster and holds the host's state), then the host
 * streams the phrase; for the site, the host then leaves cleanly, and the next host crashes (its process killed). */
async function sequential(n) {
  const [session, names, assigned] = await start(n, 's', 2);
  const sample = { join_ms: [], connect_ms: [] };
  await reset();
  for (const [index, name] of names.entries()) {
    join(name, assigned[index], session, index === 0 ? 'host' : 'guest');
    await until([name], joined, 'connected');
    const [joiner, soFar] = [peers.get(name), names.slice(0, index + 1)];
    const known = ids(soFar);
    // Everyone lists everyone so far, and the joiner holds the host's state (a gate: that is not timed).
    const seen = await until(soFar, (p) => (p !== joiner || acknowledged(p) ? p.sees(known) : undefined), 'seen');
    sample.join_ms.push(seen - joiner.at('start'));
    sample.connect_ms.push(joiner.at('connected') - joiner.at('start'));
  }
  sample.join_deliveries = (await cost(session)).deliveries / n;
  call(names[0], 'stream', 1);
  await until(names.slice(0, 1), done('stream'), 'streamed', 60_000);
  const sent = [...peers.get(names[0]).first]
    .filter(([key]) => key.startsWith('sent '))
    .map(([k, t]) => [k.slice(5), t]);
  const words = (p) => (sent.every(([i]) => p.first.has(`word ${i}`)) ? 1 : undefined);
  await until(names, words, 'given every word', 60_000);
  sample.word_ms = names.flatMap((name) => sent.map(([i, t]) => peers.get(name).first.get(`word ${i}`) - t));
  Object.assign(sample, await cost(session));
  if (config.protocol === 'site' && n >= 3) {
    Object.assign(sample, await migrate(names, 'leave'), await migrate(names.slice(1), 'crash'));
  }
  return sample;
}

/** The host (names[0]) leaves cleanly or its process is killed; names[1] (the next joiner) must take over. */
async function migrate(names, how) {
  const [heir, remaining] = [peers.get(names[1]).get('joined'), names.slice(1)];
  let started;
  if (how === 'crash') started = kill(peers.get(names[0]).worker);
  else {
    call(names[0], 'close');
    started = await until(names.slice(0, 1), (p) => p.first.get('call close'), 'closing');
  }
  const elected = (await until(remaining, (p) => p.at('host', heir), 'following the new host')) - started;
  // The heir holds the state already (a host does not ask itself); every other peer asks it again.
  const again = (p) => (acknowledged(p) > started ? acknowledged(p) : undefined);
  const asked = await until(remaining.slice(1), again, 're-acknowledged');
  return { [`${how}_elected_ms`]: elected, [`${how}_acknowledged_ms`]: Math.max(elected, asked - started) };
}

/** N peers in a session at once, timed from the first simultaneous join. `hostFirst`: someone hosts, then the other
 * N - 1 join at once, as friends do from an invite link (the tutorial must: it has no election); else all N start
 * at once into an empty session (site only: the election picks one host). */
async function burst(n, hostFirst = true) {
  const [session, names, assigned] = await start(n, 'b');
  await reset();
  if (hostFirst) {
    join(names[0], assigned[0], session, 'host');
    await until(names.slice(0, 1), acknowledged, 'hosting');
  }
  const [cpu, started] = [cpuSeconds(), now()];
  for (const [index, name] of names.entries()) if (index > 0 || !hostFirst) join(name, assigned[index], session);
  await until(names, joined, 'connected', 90_000);
  const known = ids(names);
  let converged = await until(names, (p) => p.sees(known), 'seeing everyone', 90_000);
  if (config.protocol === 'site') {
    const votes = new Map();
    for (const name of names) votes.set(peers.get(name).get('host'), (votes.get(peers.get(name).get('host')) ?? 0) + 1);
    const [[agreed]] = [...votes].sort((a, b) => b[1] - a[1]);
    converged = Math.max(converged, await until(names, (p) => p.at('host', agreed), 'agreed on one host'));
  }
  const sample = { converged_ms: converged - started, cpu_ms_per_join: ((cpuSeconds() - cpu) / n) * 1000 };
  await until(names, acknowledged, "holding the host's state", 90_000);
  return { ...sample, ...(await cost(session)) };
}

/** N players join (a host, then the rest at once); the host plays a round of bingo at the fastest pace, each player
 * claiming once its card has a line; until every page shows the winner. */
async function bingo(n) {
  const [session, names, assigned] = await start(n, 'g');
  join(names[0], assigned[0], session, 'host');
  await until(names.slice(0, 1), acknowledged, 'hosting');
  for (const [index, name] of names.entries()) if (index > 0) join(name, assigned[index], session);
  await until(names, ready, 'acknowledged', 90_000);
  const known = ids(names);
  await until(names, (p) => p.sees(known), 'seeing everyone', 90_000); // so that every player is dealt a card
  await reset();
  const started = now();
  call(names[0], 'playBingo', config.bingoPaceMs);
  const won = await until(names, (p) => p.at('won'), 'shown the winner', 120_000);
  return { round_ms: won - started, calls: peers.get(names[0]).get('won'), ...(await cost(session)) };
}

/** A site session with a host and one guest (one worker), both acknowledged. */
async function hostAndGuest(prefix) {
  const [session, [host], [worker]] = await start(1, prefix);
  for (const [name, role] of [
    [host, 'host'],
    [`${prefix}-guest`, 'guest'],
  ]) {
    join(name, worker, session, role);
    await until([name], ready, 'acknowledged');
  }
  return [session, host, `${prefix}-guest`];
}

/** A guest sends its host N `connected` at once; the snapshots published to its inbox are counted. */
async function flood(count) {
  const [session, , guest] = await hostAndGuest('flood');
  await reset();
  call(guest, 'flood', count);
  await until([guest], done('flood'), 'flooded');
  await new Promise((resolve) => setTimeout(resolve, CONNECTED_INTERVAL_MS + 500)); // the coalesced answer
  const inbox = inboxChannelFor(session, peers.get(guest).get('joined'));
  return { snapshots: (await stats())[inbox]?.messages_published ?? 0 };
}

/** The host streams the phrase N times (no pause between words), then a newcomer joins; the largest message. */
async function long(streams) {
  const [session, host] = await hostAndGuest('long');
  await reset();
  call(host, 'stream', streams);
  await until([host], done('stream'), 'streamed', 600_000);
  join('newcomer', peers.get(host).worker, session);
  await until(['newcomer'], acknowledged, 'acknowledged');
  return { max_message: (await cost(session)).max_message };
}

const SCENARIOS = { sequential, burst, election: (n) => burst(n, false), bingo, flood, long };
let sample = null;
try {
  sample = await SCENARIOS[config.scenario](config.n);
} catch (error) {
  errors.unshift(error.message);
}
await Promise.all(
  workers.map(
    (worker) =>
      new Promise((resolve) => {
        if (worker.exitCode !== null || worker.killed) return resolve();
        worker.once('exit', resolve).send({ c: 'exit' });
        setTimeout(() => worker.kill('SIGKILL'), 10_000);
      }),
  ),
);
console.log(JSON.stringify({ sample, errors: errors.slice(0, 6) }));
process.exit(0);
