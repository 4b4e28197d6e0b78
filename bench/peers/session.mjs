/** One run of one session benchmark scenario (bench/session.py gives its settings as one JSON argument), forking
 * itself as the peers' workers, driven over IPC (commands `join`, `call`, `cpu`, `exit`; events `{e, p, t, v}`, `t` in
 * wall-clock ms); it prints `{sample, errors}` last. Both peer kinds use the site's Ably client, so only the protocols
 * differ: `SitePeer` runs `P2PSession`, `TutorialPeer` bench/tutorial/. */
import { fork } from 'node:child_process';

import { createAblyClient, fetchClientConfig, loadAbly } from '../../site/ably-client.js';
import { completeLine } from '../../site/bingo/rules.js';
import { PHRASE } from '../../site/p2p.lib.server.js';
import { P2PSession } from '../../site/p2p.session.js';
import { channelNameFor, newPeerSecret, randomSessionId } from '../../site/session-id.js';
import { TutorialPeer as Tutorial } from '../tutorial/app.js';

const config = JSON.parse(process.argv[2]);
const PEERS_PER_WORKER = 25; // beyond a friends' session (a device each), so that 200 peers fit on two cores
const now = () => performance.timeOrigin + performance.now();
const [workers, peers, errors, waiters] = [[], new Map(), [], new Set()]; // peers: what each was seen to do

/** What one peer was seen to do: its roster (`seen`: when each id first came), and every other event's last value. */
class Seen {
  constructor(worker) {
    Object.assign(this, { worker, roster: new Set(), seen: new Map(), last: new Map() });
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
  if (e === 'cpu') return this.emit('cpu', v.user + v.system); // `this`: the worker, to cpu()
  if (e === 'error') errors.push(`peer error ${p}: ${message}`);
  const peer = peers.get(p);
  if (!peer) return;
  if (e !== 'roster') peer.last.set(e, [v, t]);
  for (const id of add ?? []) peer.roster.add(id) && !peer.seen.has(id) && peer.seen.set(id, t);
  for (const id of del ?? []) peer.roster.delete(id);
  for (const waiter of waiters) waiter(p);
}

function startWorker() {
  const worker = fork(new URL(import.meta.url), process.argv.slice(2), { stdio: 'inherit' });
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

// Joins within Ably's rates (`joinRate`/s, bench/session.py): a second's worth at once, then 80 % (jitter's margin).
const slots = { rate: 0.8 * config.joinRate, most: Math.floor(config.joinRate), at: now() };
slots.free = slots.most;
/** A peer joins once its joining is within the rate (both protocols alike). */
async function join(name, worker, session, role = 'guest') {
  while (slots.rate) {
    slots.free = Math.min(slots.most, slots.free + ((now() - slots.at) * slots.rate) / 1000);
    slots.at = now();
    if (slots.free >= 1) break;
    await new Promise((resolve) => setTimeout(resolve, ((1 - slots.free) * 1000) / slots.rate));
  }
  slots.free -= 1;
  peers.set(name, new Seen(worker));
  worker.send({ c: 'join', p: name, proto: config.protocol, role, session });
}

/** The CPU each live worker has used so far, µs (a killed peer's worker answers nothing). */
const cpu = (worker) => new Promise((resolve) => worker.once('cpu', resolve).send({ c: 'cpu' }));
const cpus = () => Promise.all(workers.filter((worker) => worker.connected).map(cpu));
const sum = (values) => values.reduce((total, value) => total + value, 0);

/** Until no worker is busy (under 0.3 ms of CPU in 10 ms; 1 s at most): friends' peers each have a device, so what
 * one does after joining (V8 compiling what just ran, a GC) must not slow the next one's join on these 2 cores. */
async function settle() {
  for (let before = await cpus(), end = now() + 1000; now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const after = await cpus();
    if (after.every((used, index) => used - before[index] < 300)) return;
    before = after;
  }
}

/** `stream()`, `playBingo(paceMs)` or `close()` one peer (its `call` event says when it began). */
const call = (name, method, ...args) => peers.get(name).worker.send({ c: 'call', p: name, method, args });
/** Until `when(peer)` gives a time for every named peer: the latest; a peer is checked again only after an event of
 * its own, so N peers × N events stay cheap. Rejects naming `what` and how many were late. */
function until(names, when, what, timeout = 30_000) {
  const pending = new Set(names.filter((name) => when(peers.get(name)) == null));
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
      resolve(Math.max(0, ...names.map((name) => when(peers.get(name)))));
    };
    waiters.add(check);
    check();
  });
}

const stats = async () => (await fetch(`${config.emulatorUrl}/_emulator/stats`)).json();
let refused = {}; // what the rate limits refused in this run, by code, tallied before each reset of the counters
async function reset() {
  for (const [code, count] of Object.entries((await stats()).refusals)) refused[code] = (refused[code] ?? 0) + count;
  await fetch(`${config.emulatorUrl}/_emulator/stats/reset`, { method: 'POST' });
}

/** Since the last reset, on the session's channels (`p2p:<id>`, and the site's inboxes), as Ably bills. */
async function cost(session) {
  const channel = channelNameFor(session);
  const mine = Object.entries((await stats()).channels).filter(
    ([name]) => name === channel || name.startsWith(`${channel}:`),
  );
  const total = (key) => sum(mine.map(([, counts]) => key(counts)));
  return {
    deliveries: total((c) => c.messages_delivered + c.presence_delivered),
    published: total((c) => c.messages_published + c.presence_published),
    mb: total((c) => c.bytes_out) / 1e6,
    max_message: Math.max(0, ...mine.map(([, c]) => c.max_message_bytes)),
  };
}

const acknowledged = (peer) => peer.at('status', 'acknowledged');
const joined = (peer) => peer.at('joined');
/** Joined (its id known: the join's promise resolved) and holding the host's state. */
const ready = (peer) => (joined(peer) ? acknowledged(peer) : undefined);
const ids = (names) => names.map((name) => peers.get(name).get('joined'));

/** N peers join one after another (each until it is in every roster and holds the host's state), then the host
 * streams the phrase; for the site, the host then leaves cleanly, and the next host crashes (its process killed). */
async function sequential(n) {
  const [session, names, assigned] = await start(n, 's', 2);
  const sample = { join_ms: [], connect_ms: [], protocol_ms: [] };
  await reset();
  for (const [index, name] of names.entries()) {
    if (n <= config.smallSession) await settle();
    await join(name, assigned[index], session, index === 0 ? 'host' : 'guest');
    await until([name], joined, 'connected');
    const [joiner, soFar] = [peers.get(name), names.slice(0, index + 1)];
    const known = ids(soFar);
    // Everyone lists everyone so far, and the joiner holds the host's state (a gate: that is not timed).
    const seen = await until(soFar, (p) => (p !== joiner || acknowledged(p) ? p.sees(known) : undefined), 'seen');
    sample.join_ms.push(seen - joiner.at('start'));
    sample.connect_ms.push(joiner.at('connected') - joiner.at('start'));
    sample.protocol_ms.push(seen - joiner.at('connected'));
  }
  sample.join_deliveries = (await cost(session)).deliveries / n;
  call(names[0], 'stream');
  const words = (p) => (p.get('words') === PHRASE.split(' ').length ? p.at('words') : undefined);
  await until(names, words, 'given every word', 60_000);
  Object.assign(sample, await cost(session));
  try {
    if (config.protocol === 'site' && n >= 3) {
      Object.assign(sample, await migrate(names, 'leave'), await migrate(names.slice(1), 'crash'));
    }
  } catch (error) {
    errors.unshift(`host migration: ${error.message}`); // the joins' and the phrase's figures stand
  }
  return sample;
}

/** The host (names[0]) leaves cleanly or its process is killed; names[1] (the next joiner) must take over. */
async function migrate(names, how) {
  const [heir, remaining] = [peers.get(names[1]).get('joined'), names.slice(1)];
  let started;
  if (how === 'crash') {
    peers.get(names[0]).worker.kill('SIGKILL'); // as a crashed browser or a dead network ends its peers
    started = now();
  } else {
    call(names[0], 'close');
    started = await until(names.slice(0, 1), (p) => p.at('call', 'close'), 'closing');
  }
  const elected = (await until(remaining, (p) => p.at('host', heir), 'following the new host')) - started;
  // The heir holds the state already (a host does not ask itself); every other peer asks it again.
  const again = (p) => (acknowledged(p) > started ? acknowledged(p) : undefined);
  const asked = await until(remaining.slice(1), again, 're-acknowledged');
  return { [`${how}_elected_ms`]: elected, [`${how}_acknowledged_ms`]: Math.max(elected, asked - started) };
}

/** names[0] hosts (until it holds its own state), then the rest join at once: [when they began, workers' CPU µs]. */
async function hostThen(session, names, assigned) {
  await join(names[0], assigned[0], session, 'host');
  await until(names.slice(0, 1), ready, 'hosting');
  await settle();
  const [used, started] = [sum(await cpus()), now()];
  for (const [index, name] of names.entries()) if (index > 0) await join(name, assigned[index], session);
  return [started, used];
}

/** A host, then the other N − 1 join at once, as friends do from an invite link; timed from their first join until
 * every roster is complete and (site) every peer follows the host. */
async function burst(n) {
  const [session, names, assigned] = await start(n, 'b');
  await reset();
  const [started, cpuBefore] = await hostThen(session, names, assigned);
  await until(names, joined, 'connected', 90_000);
  const known = ids(names);
  let converged = await until(names, (p) => p.sees(known), 'seeing everyone', 90_000);
  if (config.protocol === 'site') {
    converged = Math.max(converged, await until(names, (p) => p.at('host', known[0]), 'following the host'));
  }
  const cpuPerJoiner = (sum(await cpus()) - cpuBefore) / 1000 / (n - 1); // every peer's, host's too
  await until(names, acknowledged, "holding the host's state", 90_000);
  return { converged_ms: converged - started, cpu_per_joiner_ms: cpuPerJoiner, ...(await cost(session)) };
}

/** N players join (a host, then the rest at once); the host plays a round of bingo at the fastest pace, each player
 * claiming once its card has a line; until every page shows the winner. */
async function bingo(n) {
  const [session, names, assigned] = await start(n, 'g');
  await hostThen(session, names, assigned);
  await until(names, ready, 'acknowledged', 90_000);
  const known = ids(names);
  await until(names, (p) => p.sees(known), 'seeing everyone', 90_000); // so that every player is dealt a card
  await reset();
  const started = now();
  call(names[0], 'playBingo', config.bingoPaceMs);
  const won = await until(names, (p) => p.at('won'), 'shown the winner', 120_000);
  return { round_ms: won - started, calls: peers.get(names[0]).get('won'), ...(await cost(session)) };
}

const emit = (event) => process.send({ ...event, t: now() });
const fail = (p, message) => emit({ e: 'error', p, message });
let Ably, clientConfig; // a worker's, loaded as it starts

/** What both kinds share: an Ably client reporting its first connection, a roster reporting only what changed (so N
 * peers × N joins stay cheap), and state reported once `live` (started: what a peer is built with is not news). */
class Peer {
  constructor(name) {
    Object.assign(this, { name, ids: new Set(), last: {}, words: 0 });
  }
  realtime(options) {
    const realtime = createAblyClient({ Ably, clientConfig, origin: config.devHostUrl, ...options });
    realtime.connection.once('connected', () => emit({ e: 'connected', p: this.name }));
    return realtime;
  }
  /** Some players joined (`add`) or left (`del`) the roster; `roster(ids)`: the whole roster as it is now. */
  moved(add, del) {
    const gone = del.filter((id) => this.ids.delete(id));
    const came = add.filter((id) => !this.ids.has(id) && this.ids.add(id));
    if (came.length || gone.length) emit({ e: 'roster', p: this.name, add: came, del: gone });
  }
  roster(ids) {
    const now = new Set(ids);
    const gone = [...this.ids].filter((id) => !now.has(id));
    this.moved(ids, gone);
  }
  is(e, v) {
    if (this.last[e] !== v && this.live) emit({ e, p: this.name, v });
    this.last[e] = v;
  }
}

class SitePeer extends Peer {
  constructor(name, sessionId) {
    super(name);
    this.session = new P2PSession({
      sessionId,
      friendlyName: name,
      reactive: (state) => this.observed(state),
      // As the page does: the session, and this peer's secret (token renewals keep the clientId).
      createRealtime: (id, { peer }) => this.realtime({ sessionId: id, secret: peer }),
    });
    this.session.on('error', ({ summary, error }) => fail(name, `${summary} ${error?.message ?? error}`));
    const mirror = this.session.mirrors.bingo;
    for (const kind of ['onCall', 'onCard', 'onWinner']) {
      const handle = mirror[kind].bind(mirror);
      mirror[kind] = (message) => this.bingo(handle(message));
    }
  }
  /** A bingo player: claims once its card has a line, as a player presses Bingo!; reports the winner shown. */
  bingo() {
    const { bingo, bingoCard: mine, bingoClaim } = this.session.state;
    if (bingo?.phase === 'won') this.is('won', bingo.calls.length);
    else if (mine?.round === bingo?.round && !bingoClaim && completeLine(mine.card, bingo.calls)) {
      this.session.mirrors.bingo.claim().catch((error) => fail(this.name, String(error)));
    }
  }
  /** The host's Play bingo, then the fastest pace the game allows. */
  async playBingo(paceMs) {
    await this.session.server.parts.bingo.startRound();
    await this.session.server.parts.bingo.setPace({ paceMs });
  }
  observed(state) {
    return new Proxy(state, {
      set: (target, key, value) => {
        target[key] = key === 'players' ? this.watchedPlayers(value) : value;
        if (key === 'players') this.roster(value.map((player) => player.clientId));
        else if (key === 'hostClientId') this.is('host', value);
        else if (key === 'status') this.is('status', value);
        else if (key === 'receivedWords') this.is('words', (target.wordBase ?? 0) + (target.words?.length ?? 0));
        return true;
      },
    });
  }
  /** The players list, reporting each splice's players in and out (O(1) per presence event, as the site's). */
  watchedPlayers(players) {
    const ids = (list) => list.map((player) => player.clientId);
    const splice = (...args) => {
      const removed = Array.prototype.splice.apply(players, args);
      this.moved(ids(args.slice(2)), ids(removed));
      return removed;
    };
    return new Proxy(players, {
      get: (target, key, receiver) => (key === 'splice' ? splice : Reflect.get(target, key, receiver)),
    });
  }
  /** Join: resolves with this peer's clientId once it is connected, present and has announced itself. */
  async start() {
    await this.session.start();
    return this.session.state.myClientId;
  }
  stream() {
    return this.session.streamWords();
  }
  close() {
    this.session.close();
    return this.session.realtime?.connection.whenState('closed'); // its CLOSE answered: the emulator forgot it
  }
}

class TutorialPeer extends Peer {
  constructor(name, sessionId, role) {
    super(name);
    this.role = role;
    const secret = newPeerSecret();
    this.peer = new Tutorial({
      uniqueId: sessionId,
      friendlyName: name,
      serverOptions: { phrase: PHRASE }, // the site's phrase, the tutorial text's too; both at 500 ms a word
      createRealtime: () => this.realtime({ sessionId, secret }),
    });
    const pubSub = this.peer.pubSubClient;
    const received = pubSub.onMessageReceivedCallback;
    pubSub.onMessageReceivedCallback = (message, metadata) => {
      received(message, metadata);
      this.afterMessage(message);
    };
  }
  /** Read after every message, as the tutorial's page re-renders after each. */
  afterMessage(message) {
    const client = this.peer.p2pClient;
    if (!client) return;
    const players = client.serverState?.players;
    if (Array.isArray(players)) this.roster(players.map((player) => String(player?.clientId)));
    this.is('status', client.state.status);
    if (message?.kind === 'word') this.is('words', ++this.words);
  }
  /** Host or join as the tutorial's buttons do; resolves with this peer's identity (a uint32, as a string). */
  async start() {
    await (this.role === 'host' ? this.peer.host() : this.peer.join());
    return String(this.peer.p2pClient.identity.clientId);
  }
  stream() {
    return this.peer.p2pServer.sendWordsAcrossMultipleMessages();
  }
  close() {
    this.peer.close();
    return this.peer.pubSubClient.realtime?.connection.whenState('closed');
  }
}

const hosted = new Map(); // a worker's peers, by name
const commands = {
  async join({ p, proto, role, session }) {
    emit({ e: 'start', p }); // the join's clock: a page builds its session on the click, so building is timed
    const peer = new (proto === 'site' ? SitePeer : TutorialPeer)(p, session, role);
    hosted.set(p, peer);
    peer.live = true;
    emit({ e: 'joined', p, v: await peer.start() });
  },
  async call({ p, method, args }) {
    emit({ e: 'call', p, v: method });
    await hosted.get(p)[method](...args);
  },
  cpu: () => process.send({ e: 'cpu', v: process.cpuUsage() }),
  exit: () => Promise.all([...hosted.values()].map((peer) => peer.close())).finally(() => process.exit(0)),
};

if (process.send) {
  console.log = console.error; // stdout carries the scenario's answer only
  process.on('unhandledRejection', (error) => fail(null, `unhandled: ${error?.message ?? error}`));
  [Ably, { clientConfig }] = await Promise.all([loadAbly(), fetchClientConfig({ origin: config.devHostUrl })]);
  process.on('message', (command) =>
    Promise.resolve()
      .then(() => commands[command.c](command))
      .catch((error) => fail(command.p ?? null, error?.stack ?? String(error))),
  );
  process.on('disconnect', () => process.exit(0));
  emit({ e: 'ready' });
} else {
  let sample = null;
  try {
    await reset(); // what the previous run left is not this run's
    refused = {};
    sample = await { sequential, burst, bingo }[config.scenario](config.n);
    await reset();
    sample.refused = refused;
  } catch (error) {
    errors.unshift(error.message);
  }
  const exited = (worker) => new Promise((resolve) => worker.once('exit', resolve).send({ c: 'exit' }));
  const alive = workers.filter((worker) => worker.exitCode === null && !worker.killed);
  setTimeout(() => alive.forEach((worker) => worker.kill('SIGKILL')), 10_000).unref();
  await Promise.all(alive.map(exited));
  console.log(JSON.stringify({ sample, errors: errors.slice(0, 6) }));
  process.exit(0);
}
