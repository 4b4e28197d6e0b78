// The Vue app: the host/join form, then the session view (roster, status, words, connection state).
//
// Why render functions instead of an HTML template: the site ships Vue's runtime-only build. Compiling a
// template in the browser turns it into code with `new Function`, which the Content-Security-Policy forbids
// (no 'unsafe-eval'). So the markup is written with h(tag, props, children), one small function per part of
// the screen (renderForm, renderSession, ...). Text passed as children is always rendered as text, never HTML.
//
// Why the P2P objects stay reactive: P2PClient and P2PServer change their own `state` when Ably messages
// arrive. Vue only sees changes made through its reactive proxy, so the objects are stored in `data` (Vue
// wraps them) and every call, including those from the Ably callback, goes through `this.p2pClient` /
// `this.p2pServer`, which return the proxies. The PubSubClient and the Ably client are marked raw: Vue has
// no business proxying a network client.
import { createApp, h, markRaw, nextTick } from './vendor/vue.runtime.esm-browser.prod.js';
import { defaultFriendlyName, handleMessageFromAbly, Identity, MAX_FRIENDLY_NAME_LENGTH, PubSubClient } from './p2p.js';
import { P2PClient } from './p2p.lib.client.js';
import { P2PServer } from './p2p.lib.server.js';
import { randomSessionId, sessionIdFromPath, sessionIdProblem, sessionPath } from './session.js';

/** What each Ably connection state means for the person looking at the page. */
const CONNECTION_SENTENCES = {
  initialized: 'Not connected yet.',
  connecting: 'Connecting…',
  connected: 'Connected.',
  disconnected: 'Connection lost. Retrying automatically; anything sent meanwhile is queued.',
  suspended: 'Offline for over two minutes. Still retrying every 30 seconds; check your network connection.',
  closing: 'Leaving the session…',
  closed: 'You left the session. Reload the page to join again.',
  failed: 'The connection failed and will not retry. Reload the page to try again.',
};

const CONNECTION_PROBLEM_STATES = new Set(['disconnected', 'suspended', 'failed']);

/** Ably client options from the server (`{}` for real Ably, the emulator's address locally). */
async function fetchClientConfig() {
  const response = await fetch('/api/clientConfig', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/api/clientConfig answered ${response.status} ${response.statusText}`);
  return response.json();
}

/** Ably errors carry a code worth quoting; other errors only a message. */
function describeError(error) {
  const message = error?.message ?? String(error);
  return error?.code ? `${message} (Ably error ${error.code})` : message;
}

const App = {
  data() {
    const linkedSession = sessionIdFromPath(location.pathname);
    return {
      p2pClient: null,
      p2pServer: null,

      friendlyName: defaultFriendlyName(),
      uniqueId: linkedSession ?? '',
      linkedSession,
      sessionProblem: linkedSession === null ? null : sessionIdProblem(linkedSession),

      connection: { state: 'initialized', reason: null },
      error: null,
      starting: false,
      streaming: false,
    };
  },

  computed: {
    state() {
      return this.p2pClient?.state;
    },
    transmittedServerState() {
      return this.p2pClient?.serverState;
    },
    joinedOrHosting() {
      return this.p2pClient != null || this.p2pServer != null;
    },
    iAmHost() {
      return this.p2pServer != null;
    },
    players() {
      return this.transmittedServerState?.players ?? [];
    },
    shareLink() {
      return new URL(sessionPath(this.uniqueId), location.origin).href;
    },
  },

  methods: {
    /** Our Ably clientId, once connected. A method, not computed: the PubSubClient is raw, so not tracked. */
    myClientId() {
      return this.p2pClient?.ably.metadata?.clientId ?? null;
    },

    async host(evt) {
      evt.preventDefault();
      const typed = this.uniqueId.trim();
      if (typed && !this.acceptSessionId(typed)) return;
      await this.start(typed || randomSessionId(), { hosting: true });
    },

    async join(evt) {
      evt.preventDefault();
      const typed = this.uniqueId.trim();
      if (!this.acceptSessionId(typed)) return;
      await this.start(typed, { hosting: false });
    },

    /** Show the problem with a typed session id next to its field, or clear it. */
    acceptSessionId(id) {
      this.sessionProblem = sessionIdProblem(id);
      if (this.sessionProblem) this.$refs.sessionInput?.focus();
      return !this.sessionProblem;
    },

    /** Connect as host (P2PServer + P2PClient) or as a joiner (P2PClient), as in the tutorial. */
    async start(sessionId, { hosting }) {
      this.error = null;
      this.starting = true;
      let clientConfig;
      try {
        clientConfig = await fetchClientConfig();
      } catch (error) {
        this.starting = false;
        this.showError('Could not load the connection settings. Check that the API is running, then try again.', error);
        return;
      }

      const pubSubClient = markRaw(
        new PubSubClient((message, metadata) => this.onMessage(message, metadata), {
          createRealtime: (uniqueId) => this.createRealtime(clientConfig, uniqueId),
        }),
      );
      const identity = new Identity(this.friendlyName);
      this.friendlyName = identity.friendlyName;
      this.uniqueId = sessionId;
      if (hosting) this.p2pServer = new P2PServer(identity, sessionId, pubSubClient);
      this.p2pClient = new P2PClient(identity, sessionId, pubSubClient);
      if (location.pathname !== sessionPath(sessionId)) history.pushState(null, '', sessionPath(sessionId));
      addEventListener('pagehide', () => pubSubClient.close(), { once: true });
      nextTick(() => this.$refs.sessionHeading?.focus());

      try {
        await this.p2pServer?.connect();
        await this.p2pClient.connect();
      } catch (error) {
        this.showError('Could not join the session.', error);
      } finally {
        this.starting = false;
      }
    },

    createRealtime(clientConfig, uniqueId) {
      const realtime = new globalThis.Ably.Realtime({
        ...clientConfig,
        authUrl: '/api/createTokenRequest',
        authParams: { session: uniqueId },
      });
      realtime.connection.on((change) => {
        this.connection = { state: change.current, reason: change.reason ? describeError(change.reason) : null };
        if (change.reason && CONNECTION_PROBLEM_STATES.has(change.current)) {
          this.showError('Could not reach Ably.', change.reason, { fromConnection: true });
        } else if (change.current === 'connected' && this.error?.fromConnection) {
          this.error = null;
        }
      });
      this.connection = { state: realtime.connection.state, reason: null };
      return markRaw(realtime);
    },

    onMessage(message, metadata) {
      handleMessageFromAbly(message, metadata, this.p2pClient, this.p2pServer).catch((error) => {
        this.showError('Could not answer another peer.', error);
      });
    },

    async sendWordsAsHost() {
      this.streaming = true;
      try {
        await this.p2pServer.sendWordsAcrossMultipleMessages();
      } catch (error) {
        this.showError('Could not stream the words.', error);
      } finally {
        this.streaming = false;
      }
    },

    /** Fill the alert region. Connection problems clear themselves once the connection is back. */
    showError(summary, error, { fromConnection = false } = {}) {
      this.error = { summary, detail: error ? describeError(error) : null, fromConnection };
    },
  },

  render() {
    return h('main', { class: 'page' }, [
      h('h1', 'Realtime peer-to-peer demo'),
      renderAlert(this),
      this.joinedOrHosting ? renderSession(this) : renderForm(this),
    ]);
  },
};

/** The alert region exists from the start, so screen readers announce an error when it appears. */
function renderAlert(vm) {
  return h('div', { class: 'alert-region', role: 'alert', 'data-testid': 'error' }, vm.error ? [
    h('div', { class: 'alert' }, [
      h('p', { class: 'alert__summary' }, vm.error.summary),
      vm.error.detail ? h('p', { class: 'alert__detail' }, vm.error.detail) : null,
    ]),
  ] : []);
}

function renderForm(vm) {
  const button = (label, testId, onClick, primary) => h('button', {
    type: 'submit', class: primary ? 'button' : 'button button--secondary', disabled: vm.starting,
    'data-testid': testId, onClick,
  }, label);
  // Enter submits with the first button: Join when the page was opened from a session link, else Host.
  const invited = vm.linkedSession !== null;
  const hostButton = button('Host a session', 'host-button', vm.host, !invited);
  const joinButton = button('Join a session', 'join-button', vm.join, invited);

  return h('form', { class: 'card form', novalidate: true, onSubmit: (evt) => evt.preventDefault() }, [
    h('p', { class: 'intro' }, invited
      ? 'You were invited to a session. Choose a name and join.'
      : 'Host a new session and share its link, or join a session someone shared with you.'),
    h('label', { for: 'session-name' }, 'Session name'),
    h('input', {
      id: 'session-name', ref: 'sessionInput', name: 'session-name', type: 'text',
      autocomplete: 'off', autocapitalize: 'off', spellcheck: false,
      value: vm.uniqueId, onInput: (evt) => { vm.uniqueId = evt.target.value; },
      'aria-invalid': vm.sessionProblem ? 'true' : 'false',
      'aria-describedby': vm.sessionProblem ? 'session-hint session-problem' : 'session-hint',
    }),
    h('p', { id: 'session-hint', class: 'hint' }, 'Leave it empty to host a new private session with a random name.'),
    vm.sessionProblem ? h('p', { id: 'session-problem', class: 'problem', 'data-testid': 'session-problem' }, vm.sessionProblem) : null,
    h('label', { for: 'friendly-name' }, 'Your name'),
    h('input', {
      id: 'friendly-name', name: 'name', type: 'text', autocomplete: 'nickname', maxlength: MAX_FRIENDLY_NAME_LENGTH,
      value: vm.friendlyName, onInput: (evt) => { vm.friendlyName = evt.target.value; },
      'aria-describedby': 'name-hint',
    }),
    h('p', { id: 'name-hint', class: 'hint' }, `What the other players see, up to ${MAX_FRIENDLY_NAME_LENGTH} characters.`),
    h('div', { class: 'form__buttons' }, invited ? [joinButton, hostButton] : [hostButton, joinButton]),
  ]);
}

function renderSession(vm) {
  return h('section', { class: 'session', 'aria-labelledby': 'session-heading' }, [
    h('div', { class: 'card' }, [
      h('h2', { id: 'session-heading', ref: 'sessionHeading', tabindex: '-1' }, [
        'Session ', h('code', { 'data-testid': 'session-id' }, vm.uniqueId),
      ]),
      h('p', { class: 'share' }, [
        'Invite others with this link: ',
        h('a', { href: vm.shareLink, 'data-testid': 'share-link' }, vm.shareLink),
      ]),
      renderStatus(vm),
      vm.iAmHost ? h('button', {
        type: 'button', class: 'button', disabled: vm.streaming || vm.state?.status !== 'acknowledged',
        'data-testid': 'stream-words', onClick: vm.sendWordsAsHost,
      }, vm.streaming ? 'Streaming words…' : 'Stream words to clients') : null,
    ]),
    renderRoster(vm),
    renderWords(vm),
  ]);
}

function renderStatus(vm) {
  const { state, reason } = vm.connection;
  return h('dl', { class: 'status' }, [
    h('dt', 'You are'),
    h('dd', `${vm.friendlyName}, ${vm.iAmHost ? 'hosting' : 'a guest'}`),
    h('dt', 'Client status'),
    h('dd', [h('span', { class: `badge badge--${vm.state?.status}`, 'data-testid': 'client-status' }, vm.state?.status ?? 'disconnected')]),
    h('dt', 'Connection'),
    h('dd', { 'aria-live': 'polite' }, [
      h('span', { class: `badge badge--${state}`, 'data-testid': 'connection-state' }, state),
      ' ',
      h('span', { 'data-testid': 'connection-sentence' }, CONNECTION_SENTENCES[state] ?? ''),
      reason ? h('span', { class: 'reason' }, ` Reason: ${reason}`) : null,
    ]),
  ]);
}

function renderRoster(vm) {
  return h('div', { class: 'card' }, [
    h('h3', { 'aria-live': 'polite', 'data-testid': 'player-count' }, `Active players: ${vm.players.length}`),
    h('ul', { class: 'players' }, vm.players.map((player) => h('li', {
      key: player.clientId, class: 'player', 'data-testid': 'roster-item',
    }, [
      h('span', { 'data-testid': 'roster-name' }, player.friendlyName),
      player.clientId === vm.myClientId() ? h('span', { class: 'player__you' }, ' (you)') : null,
    ]))),
  ]);
}

function renderWords(vm) {
  const words = vm.state?.receivedWords ?? '';
  return h('div', { class: 'card' }, [
    h('h3', 'Received words'),
    h('p', { class: 'words', 'aria-live': 'polite', 'data-testid': 'received-words' }, words),
    words ? null : h('p', { class: 'hint' }, 'Words the host streams appear here.'),
  ]);
}

if (!globalThis.Ably) {
  document.querySelector('.loading').textContent = 'The Ably library did not load (/vendor/ably.min.js). Reload the page to try again.';
} else {
  // Back/forward between "/" and "/s/<id>" changes what the page should show; a reload rebuilds it from the URL.
  addEventListener('popstate', () => location.reload());
  createApp(App).mount('#app');
}
