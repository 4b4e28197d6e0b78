/**
 * Run the Ably emulator (`python -m emulator`) as a child process for ably-js tests, and build clients for it.
 *
 * The emulator is started exactly as a developer would start it (the CLI, a free port), so these tests cover
 * the command line too. Clients authenticate the way the app does: through an authUrl served by a small
 * token server in this process that signs TokenRequests with the key, which ably-js then exchanges at the
 * emulator's `POST /keys/{keyName}/requestToken`. `stop()` closes every client built here, the token server
 * and the process; call it from an `after()` hook so it also runs when a test fails.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ably from 'ably';

import { within } from './waiting.mjs';

export const FAKE_KEY = 'fakeapp.fakekey:fake-secret-for-local-emulator-tests';

/** The two wire formats every realtime behaviour is checked in. */
export const FORMATS = ['json', 'msgpack'];

/**
 * Flags that turn off Ably's publish rate limits (50 a second per connection and per channel, on by default), for
 * an emulator whose tests publish faster on purpose to test something else; each user says why.
 */
export const NO_PUBLISH_LIMITS = ['--max-connection-publish-rate', '0', '--max-channel-publish-rate', '0'];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const READY_LINE = /Ably emulator listening on (http:\/\/\S+)/;
const LOG_TAIL_CHARS = 8_000;

/**
 * Start `python -m emulator --host 127.0.0.1 --port 0 --key KEY ...flags` and wait for its ready line.
 * @param {{key?: string, flags?: string[], readyTimeoutMs?: number}} [options]
 *   `flags` are extra CLI options, e.g. `['--connection-state-ttl', '1.5']`.
 * @returns {Promise<RunningEmulator>}
 */
export async function startEmulator({ key = FAKE_KEY, flags = [], readyTimeoutMs = 20_000 } = {}) {
  const args = ['-m', 'emulator', '--host', '127.0.0.1', '--port', '0', '--key', key, ...flags];
  const child = spawn(PYTHON, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const log = { text: '' };
  const keepTail = (chunk) => {
    log.text = (log.text + chunk).slice(-LOG_TAIL_CHARS);
  };
  child.stderr.setEncoding('utf8').on('data', keepTail);
  child.stdout.setEncoding('utf8').on('data', keepTail);

  const ready = new Promise((resolve, reject) => {
    const onData = () => {
      const match = READY_LINE.exec(log.text);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`emulator exited (${code ?? signal}) before it was ready:\n${log.text}`)),
    );
    child.once('error', reject);
  });
  let url;
  try {
    url = await within(ready, { what: `the emulator's ready line (${args.join(' ')})`, timeoutMs: readyTimeoutMs });
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw error;
  }
  const emulator = new RunningEmulator({ child, url, key, log, killOnExit });
  try {
    await emulator.tokenServer.start();
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return emulator;
}

/** A started emulator process, with client factories and its HTTP test controls. */
export class RunningEmulator {
  #child;
  #killOnExit;
  #log;
  #clients = new Set();

  constructor({ child, url, key, log, killOnExit }) {
    this.#child = child;
    this.#log = log;
    this.#killOnExit = killOnExit;
    /** e.g. `http://127.0.0.1:53211` */
    this.url = url;
    this.port = Number(new URL(url).port);
    /** The key the emulator accepts, `appId.keyId:secret`. */
    this.key = key;
    this.keyName = key.split(':')[0];
    this.tokenServer = new TokenServer(key);
  }

  /** What the emulator has printed lately, for failure messages. */
  get log() {
    return this.#log.text;
  }

  /**
   * Client options that point ably-js at this emulator.
   * @param {'json' | 'msgpack'} format
   */
  clientOptions(format = 'json') {
    if (!FORMATS.includes(format)) throw new Error(`unknown format ${format}`);
    return {
      endpoint: '127.0.0.1',
      port: this.port,
      tls: false,
      useBinaryProtocol: format === 'msgpack',
      transports: ['web_socket'],
      logLevel: Number(process.env.ABLY_LOG_LEVEL ?? 1),
    };
  }

  /**
   * A Realtime client authenticated with a token whose clientId, capability and ttl the test chooses.
   * @param {object} [options]
   * @param {'json' | 'msgpack'} [options.format]
   * @param {string} [options.clientId] the token's clientId (anonymous when omitted)
   * @param {object} [options.capability] e.g. `{'room': ['publish', 'subscribe']}`; the key's when omitted
   * @param {number} [options.ttl] token lifetime in ms
   * @param {'authUrl' | 'authCallback' | 'none'} [options.auth] how ably-js obtains its TokenRequests
   *   (`'none'`: the test passes its own credentials in `options.ably`)
   * @param {object} [options.ably] further ably-js client options (they win)
   * @param {import('node:test').TestContext} [t] when given, the client is closed when that test ends
   * @returns {import('ably').Realtime}
   */
  realtime({ format = 'json', clientId, capability, ttl, auth = 'authUrl', ably = {} } = {}, t = undefined) {
    const tokenParams = { clientId, capability, ttl };
    const client = new Ably.Realtime({
      ...this.clientOptions(format),
      ...this.authOptions(auth, tokenParams),
      ...ably,
    });
    this.#clients.add(client);
    t?.after(() => {
      client.close();
      this.#clients.delete(client);
    });
    return client;
  }

  /**
   * A REST client: token auth like `realtime()`, or `auth: 'key'` for basic auth with the key.
   * @returns {import('ably').Rest}
   */
  rest({ format = 'json', clientId, capability, ttl, auth = 'authCallback', ably = {} } = {}) {
    const credentials = auth === 'key' ? { key: this.key } : this.authOptions(auth, { clientId, capability, ttl });
    return new Ably.Rest({ ...this.clientOptions(format), ...credentials, ...ably });
  }

  /**
   * ably-js auth options that fetch TokenRequests for `tokenParams`, through the token server or a callback.
   * Pass them to `auth.authorize(null, options)` to switch a client to other token params.
   */
  authOptions(auth, { clientId, capability, ttl } = {}) {
    if (auth === 'none') return {};
    if (auth === 'authUrl') {
      return { authUrl: this.tokenServer.url, authParams: TokenServer.params({ clientId, capability, ttl }) };
    }
    if (auth === 'authCallback') {
      return {
        authCallback: (_params, callback) => {
          this.tokenServer.sign({ clientId, capability, ttl }).then(
            (tokenRequest) => callback(null, tokenRequest),
            (error) => callback(error, null),
          );
        },
      };
    }
    throw new Error(`unknown auth method ${auth}`);
  }

  /** `GET /_emulator/connections`: `[{connectionId, clientId, state, channels}]`. */
  async connections() {
    return this.#control('GET', '/_emulator/connections');
  }

  /**
   * Drop one connection's transport, as a network failure would; the client resumes. With `forget`, the
   * connection's state is discarded too (its members leave), as after connectionStateTtl: the resume fails (80008).
   */
  async dropConnection(connectionId, { forget = false } = {}) {
    const route = `/_emulator/connections/${encodeURIComponent(connectionId)}/drop`;
    return this.#control('POST', route, forget ? { forget: 'true' } : {});
  }

  /** Drop every transport, or those of one clientId. */
  async dropAll({ clientId } = {}) {
    return this.#control('POST', '/_emulator/connections/drop', { clientId });
  }

  /** Expire tokens now (all, or those of one clientId); connected clients get DISCONNECTED 40142. */
  async expireTokens({ clientId } = {}) {
    return this.#control('POST', '/_emulator/tokens/expire', { clientId });
  }

  /** The billing counters: `{total: {...}, channels: {name: {...}}}`. */
  async stats() {
    return this.#control('GET', '/_emulator/stats');
  }

  async resetStats() {
    return this.#control('POST', '/_emulator/stats/reset');
  }

  async #control(method, route, query = {}) {
    const url = new URL(route, this.url);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
    const response = await within(fetch(url, { method }), { what: `${method} ${route}`, timeoutMs: 5_000 });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Close every client built here, the token server, and the emulator process (SIGTERM, then SIGKILL). */
  async stop() {
    for (const client of this.#clients) {
      try {
        client.close();
      } catch {
        // a client that already failed cannot be closed again; the process is going away anyway
      }
    }
    this.#clients.clear();
    await this.tokenServer.stop();
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await within(exited, { what: 'the emulator to exit on SIGTERM', timeoutMs: 5_000 }).catch(() => {
        child.kill('SIGKILL');
      });
    }
    process.off('exit', this.#killOnExit);
  }
}

/**
 * The app's token endpoint in miniature: `GET /auth?clientId=&capability=&ttl=` answers a TokenRequest signed
 * with the key, and remembers every request so tests can see when ably-js renewed its token.
 */
export class TokenServer {
  #server = http.createServer((request, response) => this.#handle(request, response));
  #signer;
  /** Every token request served, in order: `{clientId, capability, ttl}`. */
  requests = [];
  url = '';

  constructor(key) {
    this.#signer = new Ably.Rest({ key, logLevel: 0 });
  }

  /** authParams (all strings) for the given token params. */
  static params({ clientId, capability, ttl }) {
    const params = {};
    if (clientId !== undefined) params.clientId = clientId;
    if (capability !== undefined) params.capability = JSON.stringify(capability);
    if (ttl !== undefined) params.ttl = String(ttl);
    return params;
  }

  /** A TokenRequest signed with the key, as the app's `/api/createTokenRequest` would make it. */
  async sign({ clientId, capability, ttl }) {
    const tokenParams = {};
    if (clientId !== undefined) tokenParams.clientId = clientId;
    if (capability !== undefined) tokenParams.capability = capability;
    if (ttl !== undefined) tokenParams.ttl = ttl;
    return this.#signer.auth.createTokenRequest(tokenParams);
  }

  async start() {
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.#server.address().port}/auth`;
  }

  async stop() {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(request, response) {
    const query = new URL(request.url, this.url).searchParams;
    const params = {
      clientId: query.get('clientId') ?? undefined,
      capability: query.has('capability') ? JSON.parse(query.get('capability')) : undefined,
      ttl: query.has('ttl') ? Number(query.get('ttl')) : undefined,
    };
    this.requests.push(params);
    // No keep-alive: ably-js would reuse an idle socket just as this server times it out (5 s), the request would
    // fail with ECONNRESET, and ably-js would wait 15 s before asking again; a busy machine makes that race likely.
    response.setHeader('Connection', 'close');
    try {
      const tokenRequest = await this.sign(params);
      response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      response.end(JSON.stringify(tokenRequest));
    } catch (error) {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(String(error));
    }
  }

  /** How many tokens were requested for `clientId`. */
  countFor(clientId) {
    return this.requests.filter((params) => params.clientId === clientId).length;
  }
}
