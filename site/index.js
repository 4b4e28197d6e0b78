// The Vue app: the host/join form, then the session view (roster, status, words, connection state).
//
// Why render functions instead of an HTML template: the site ships Vue's runtime-only build. Compiling a
// template in the browser turns it into code with `new Function`, which the Content-Security-Policy forbids
// (no 'unsafe-eval'). So the markup is written with h(tag, props, children), one small function per part of
// the screen (renderForm, renderSession, ...). Text passed as children is always rendered as text, never HTML.
//
// Why the session object is raw but its state reactive: P2PSession (p2p.session.js) builds `session.state` with
// Vue's reactive(), so every change the network makes re-renders the page. The session object itself, its Ably
// client and its P2P classes are marked raw: Vue has no business proxying a network client.
import { createApp, h, markRaw, nextTick, reactive } from './vendor/vue.runtime.esm-browser.prod.js';
import { defaultFriendlyName, MAX_FRIENDLY_NAME_LENGTH, normalizeFriendlyName } from './p2p.js';
import { P2PSession } from './p2p.session.js';
import { fetchJsonWithRetry } from './retry.js';
import { randomSessionId, sessionIdFromPath, sessionIdProblem, sessionPath } from './session.js';
import { copyOrSelect, qrCodePath } from './share.js';

/**
 * What each Ably connection state means for the person looking at the page: a short label, what is going on
 * and what they can do. `retry`: offer a button that reconnects now (Ably would otherwise wait or give up).
 */
const CONNECTION_STATES = {
  initialized: { label: 'Not connected', sentence: 'Not connected yet.' },
  connecting: { label: 'Connecting', sentence: 'Connecting…' },
  connected: { label: 'Connected', sentence: 'What the others do shows up here as it happens.' },
  disconnected: {
    label: 'Reconnecting',
    sentence: 'Connection lost. Reconnecting by itself; what you send meanwhile goes out once it is back.',
  },
  suspended: {
    label: 'Offline',
    sentence: 'Offline for a while. Still trying every 30 seconds: check your network, then press Retry now.',
    retry: true,
  },
  closing: { label: 'Leaving', sentence: 'Leaving the session…' },
  closed: { label: 'Left', sentence: 'You left the session. Reload the page to join again.' },
  failed: {
    label: 'Failed',
    sentence: 'The connection failed and will not retry by itself. Press Retry now, or reload the page.',
    retry: true,
  },
};

/** Tries at the token endpoint within one Ably auth attempt; Ably waits 10 s for the answer, then retries itself. */
const TOKEN_ATTEMPTS = 4;
// Ably refuses a presence enter past its members-per-channel limit with 91003: the session is full.
const SESSION_FULL = 91003;
const SESSION_FULL_SUMMARY =
  'This session is full: it has as many players as a session can hold. Try again when someone leaves, or host a new session.';
const NAME_STORAGE_KEY = 'p2p-demo.friendlyName';

/** The name this device used last time, or null (first visit, or storage blocked by the browser). */
function rememberedFriendlyName() {
  try {
    return localStorage.getItem(NAME_STORAGE_KEY);
  } catch {
    return null;
  }
}

function rememberFriendlyName(name) {
  try {
    localStorage.setItem(NAME_STORAGE_KEY, name);
  } catch {
    // Storage blocked (private mode, a policy): the name simply is not remembered.
  }
}

/** "Retrying in 2 s (attempt 3)": what a failed request is doing about it. */
function retrySentence({ attempt, delayMs }) {
  return `Retrying in ${Math.max(1, Math.round(delayMs / 1000))} s (attempt ${attempt + 1}).`;
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
      session: null,

      friendlyName: normalizeFriendlyName(rememberedFriendlyName()) || defaultFriendlyName(),
      uniqueId: linkedSession ?? '',
      linkedSession,
      sessionProblem: linkedSession === null ? null : sessionIdProblem(linkedSession),

      realtime: null,
      connection: { state: 'initialized', reason: null },
      tokenProblem: null,
      error: null,
      starting: false,
      copyResult: null,
      hostNews: '',
      // Where friends open the invite link when this page's origin is one only this machine can open (localhost).
      shareOrigin: null,
    };
  },

  computed: {
    state() {
      return this.session?.state;
    },
    joinedOrHosting() {
      return this.session != null;
    },
    iAmHost() {
      return this.state?.isHost ?? false;
    },
    players() {
      return this.state?.players ?? [];
    },
    hostPlayer() {
      return this.players.find((player) => player.isHost) ?? null;
    },
    shareLink() {
      return new URL(sessionPath(this.uniqueId), this.shareOrigin ?? location.origin).href;
    },
    shareQrCode() {
      return qrCodePath(this.shareLink);
    },
  },

  methods: {
    /** Host: a typed session name, or a fresh unguessable one. The first peer present hosts (p2p.roster.js). */
    async host(evt) {
      evt.preventDefault();
      const typed = this.uniqueId.trim();
      if (typed && !this.acceptSessionId(typed)) return;
      await this.start(typed || randomSessionId());
    },

    async join(evt) {
      evt.preventDefault();
      const typed = this.uniqueId.trim();
      if (!this.acceptSessionId(typed)) return;
      await this.start(typed);
    },

    /** Show the problem with a typed session id next to its field, or clear it. */
    acceptSessionId(id) {
      this.sessionProblem = sessionIdProblem(id);
      if (this.sessionProblem) this.$refs.sessionInput?.focus();
      return !this.sessionProblem;
    },

    /**
     * Join (or, when nobody is there yet, host) the session: Host and Join differ only in the session id.
     * @param {string} sessionId
     * @param {{replacing?: P2PSession}} [options] the failed session that Retry replaces (its page stays up meanwhile)
     */
    async start(sessionId, { replacing = null } = {}) {
      this.error = null;
      this.hostNews = '';
      this.starting = true;
      let clientConfig;
      try {
        clientConfig = await this.fetchClientConfig();
      } catch (error) {
        this.starting = false;
        this.showError(
          'Could not load the connection settings. Check that the API is deployed, then try again.',
          error,
        );
        return;
      }

      const session = markRaw(
        new P2PSession({
          sessionId,
          friendlyName: this.friendlyName,
          createRealtime: (id, auth) => this.createRealtime(clientConfig, id, auth),
          reactive,
        }),
      );
      session.on('error', ({ summary, error }) => this.showError(summary, error));
      session.on('host-changed', (change) => this.announceHost(change));
      this.session = session;
      this.friendlyName = session.state.friendlyName;
      rememberFriendlyName(this.friendlyName);
      this.uniqueId = sessionId;
      if (location.pathname !== sessionPath(sessionId)) history.pushState(null, '', sessionPath(sessionId));
      addEventListener('pagehide', () => session.close(), { once: true });
      if (!replacing) nextTick(() => this.$refs.sessionHeading?.focus());

      try {
        await session.start();
      } catch (error) {
        if (error?.code === SESSION_FULL) this.leaveFullSession(session, error);
        else this.showError('Could not join the session.', error);
      } finally {
        this.starting = false;
      }
    },

    /**
     * Presence refused this peer (the session is full): close its connection, so nobody sees a trace of it, and
     * go back to the form with the session id filled in, saying why and what to do.
     */
    leaveFullSession(session, error) {
      session.close();
      if (this.session !== session) return;
      this.session = null;
      this.realtime = null;
      this.connection = { state: 'closed', reason: null };
      this.showError(SESSION_FULL_SUMMARY, error);
    },

    /**
     * Ably client options from the API (`{}` for real Ably, the emulator's address locally), and the origin invite
     * links use when the API names one (`shareOrigin`). Keeps trying with backoff, saying why in the alert region,
     * until the API answers.
     */
    async fetchClientConfig() {
      const { shareOrigin, ...clientConfig } = await fetchJsonWithRetry('/api/clientConfig', {
        onRetry: (retry) =>
          this.showError(`Could not load the connection settings. ${retrySentence(retry)}`, retry.error),
      });
      this.error = null;
      this.shareOrigin = shareOrigin ?? null;
      return clientConfig;
    },

    /**
     * The Ably client for this page. Tokens come from the API through an authCallback rather than authUrl, so
     * that a failing token endpoint is retried within seconds (and explained) instead of after Ably's 15 s.
     */
    createRealtime(clientConfig, uniqueId, { peer } = {}) {
      // `peer`: this page's secret, so every token (renewals too) names the same clientId (docs/architecture.md).
      const tokenUrl = `/api/createTokenRequest?${new URLSearchParams({ session: uniqueId, ...(peer ? { peer } : {}) })}`;
      const realtime = new globalThis.Ably.Realtime({
        ...clientConfig,
        authCallback: (_tokenParams, callback) => {
          fetchJsonWithRetry(tokenUrl, {
            maxAttempts: TOKEN_ATTEMPTS,
            onRetry: (retry) => {
              this.tokenProblem = `Could not get a token from the server (${retry.error.message}). ${retrySentence(retry)}`;
            },
          }).then(
            (tokenRequest) => {
              this.tokenProblem = null;
              callback(null, tokenRequest);
            },
            (error) => {
              this.tokenProblem = `Could not get a token from the server (${error.message}). Ably will try again shortly.`;
              callback(error, null);
            },
          );
        },
      });
      realtime.connection.on((change) => {
        if (this.realtime !== realtime) return; // a client that Retry replaced
        this.connection = { state: change.current, reason: change.reason ? describeError(change.reason) : null };
      });
      this.connection = { state: realtime.connection.state, reason: null };
      this.realtime = markRaw(realtime);
      return realtime;
    },

    /**
     * The Retry button. Suspended: reconnect now rather than at Ably's next attempt; the channels reattach and
     * presence is re-entered by ably-js. Failed: Ably has failed the channels and dropped this peer's presence
     * too, so join the session afresh, as a reload would, but without leaving the page.
     */
    reconnect() {
      if (this.starting) return;
      if (this.connection.state !== 'failed') {
        this.realtime?.connection.connect();
        return;
      }
      const failed = this.session;
      failed.close();
      this.start(this.uniqueId, { replacing: failed });
    },

    async copyShareLink() {
      this.copyResult = await copyOrSelect(this.shareLink, this.$refs.shareLink);
    },

    async sendWordsAsHost() {
      try {
        await this.session.streamWords();
      } catch (error) {
        this.showError('Could not stream the words.', error);
      }
    },

    /**
     * Announce a change of host during the session (the host left, or two peers raced to host). The first
     * election needs no announcement: the page says who hosts anyway.
     */
    announceHost({ hostClientId, previousHostClientId, isHost }) {
      if (!previousHostClientId || !hostClientId) return;
      if (isHost) this.hostNews = 'You are hosting now.';
      else this.hostNews = `${this.hostPlayer?.friendlyName ?? 'Another player'} is hosting now.`;
    },

    /** Fill the alert region. */
    showError(summary, error) {
      this.error = { summary, detail: error ? describeError(error) : null };
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
  return h(
    'div',
    { class: 'alert-region', role: 'alert', 'data-testid': 'error' },
    vm.error
      ? [
          h('div', { class: 'alert' }, [
            h('p', { class: 'alert__summary' }, vm.error.summary),
            vm.error.detail ? h('p', { class: 'alert__detail' }, vm.error.detail) : null,
          ]),
        ]
      : [],
  );
}

function renderForm(vm) {
  const button = (label, testId, onClick, primary) =>
    h(
      'button',
      {
        type: 'submit',
        class: primary ? 'button' : 'button button--secondary',
        disabled: vm.starting,
        'data-testid': testId,
        onClick,
      },
      label,
    );
  // Enter submits with the first button: Join when the page was opened from a session link, else Host.
  const invited = vm.linkedSession !== null;
  const hostButton = button('Host a session', 'host-button', vm.host, !invited);
  const joinButton = button('Join a session', 'join-button', vm.join, invited);

  return h('form', { class: 'card form', novalidate: true, onSubmit: (evt) => evt.preventDefault() }, [
    h(
      'p',
      { class: 'intro' },
      invited
        ? 'You were invited to a session. Choose a name and join.'
        : 'Host a new session and share its link, or join a session someone shared with you.',
    ),
    h('label', { for: 'session-name' }, 'Session name'),
    h('input', {
      id: 'session-name',
      ref: 'sessionInput',
      name: 'session-name',
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: false,
      value: vm.uniqueId,
      onInput: (evt) => {
        vm.uniqueId = evt.target.value;
      },
      'aria-invalid': vm.sessionProblem ? 'true' : 'false',
      'aria-describedby': vm.sessionProblem ? 'session-hint session-problem' : 'session-hint',
    }),
    h('p', { id: 'session-hint', class: 'hint' }, 'Leave it empty to host a new private session with a random name.'),
    vm.sessionProblem
      ? h('p', { id: 'session-problem', class: 'problem', 'data-testid': 'session-problem' }, vm.sessionProblem)
      : null,
    h('label', { for: 'friendly-name' }, 'Your name'),
    h('input', {
      id: 'friendly-name',
      name: 'name',
      type: 'text',
      autocomplete: 'nickname',
      maxlength: MAX_FRIENDLY_NAME_LENGTH,
      value: vm.friendlyName,
      onInput: (evt) => {
        vm.friendlyName = evt.target.value;
      },
      'aria-describedby': 'name-hint',
    }),
    h(
      'p',
      { id: 'name-hint', class: 'hint' },
      `What the other players see, up to ${MAX_FRIENDLY_NAME_LENGTH} characters.`,
    ),
    h('div', { class: 'form__buttons' }, invited ? [joinButton, hostButton] : [hostButton, joinButton]),
  ]);
}

function renderSession(vm) {
  const streaming = vm.state?.streaming ?? false;
  return h('section', { class: 'session', 'aria-labelledby': 'session-heading' }, [
    h('div', { class: 'card' }, [
      h('h2', { id: 'session-heading', ref: 'sessionHeading', tabindex: '-1' }, [
        'Session ',
        h('code', { 'data-testid': 'session-id' }, vm.uniqueId),
      ]),
      renderStatus(vm),
      renderConnection(vm),
      vm.iAmHost
        ? h(
            'button',
            {
              type: 'button',
              class: 'button',
              disabled: streaming || vm.state?.status !== 'acknowledged',
              'data-testid': 'stream-words',
              onClick: vm.sendWordsAsHost,
            },
            streaming ? 'Streaming words…' : 'Stream words to clients',
          )
        : null,
    ]),
    renderShare(vm),
    renderRoster(vm),
    renderWords(vm),
  ]);
}

/** Who this peer is, who hosts (announced when it changes), and whether the host has acknowledged this peer. */
function renderStatus(vm) {
  let hosting = 'Waiting for the other players…';
  if (vm.iAmHost) hosting = 'You are hosting.';
  else if (vm.hostPlayer) hosting = `${vm.hostPlayer.friendlyName} is hosting.`;
  return h('div', [
    h('p', { class: 'hosting', 'data-testid': 'hosting' }, hosting),
    h('p', { class: 'host-news', role: 'status', 'data-testid': 'host-news' }, vm.hostNews),
    h('dl', { class: 'status' }, [
      h('dt', 'Your name'),
      h('dd', { 'data-testid': 'my-name' }, vm.friendlyName),
      h('dt', 'Client status'),
      h('dd', [
        h(
          'span',
          { class: `badge badge--${vm.state?.status}`, 'data-testid': 'client-status' },
          vm.state?.status ?? 'disconnected',
        ),
      ]),
    ]),
  ]);
}

/** The connection's state in words, and what the person can do about it. Announced politely as it changes. */
function renderConnection(vm) {
  const { state, reason } = vm.connection;
  const { label, sentence, retry } = CONNECTION_STATES[state] ?? { label: state, sentence: '' };
  const problem = state !== 'connected';
  return h('div', { class: problem ? 'connection connection--problem' : 'connection', 'data-testid': 'connection' }, [
    h('div', { role: 'status' }, [
      h('p', { class: 'connection__line' }, [
        h('span', { class: `badge badge--${state}`, 'data-testid': 'connection-state', 'data-state': state }, label),
        ' ',
        h('span', { 'data-testid': 'connection-sentence' }, sentence),
      ]),
      vm.tokenProblem ? h('p', { class: 'connection__detail', 'data-testid': 'token-problem' }, vm.tokenProblem) : null,
      reason && problem ? h('p', { class: 'connection__detail' }, `Reason: ${reason}`) : null,
    ]),
    retry
      ? h(
          'button',
          {
            type: 'button',
            class: 'button',
            'data-testid': 'reconnect',
            onClick: vm.reconnect,
          },
          'Retry now',
        )
      : null,
  ]);
}

/** The session's deep link with a Copy button and its QR code, for friends in the room. */
function renderShare(vm) {
  const { size, path } = vm.shareQrCode;
  const copyMessages = {
    copied: 'Copied the link.',
    selected: 'Copying is not available here, so the link is selected: press Ctrl+C (⌘C on a Mac) to copy it.',
  };
  return h('div', { class: 'card share' }, [
    h('div', { class: 'share__text' }, [
      h('h3', 'Invite others'),
      h('p', { class: 'share__link' }, [
        h('a', { href: vm.shareLink, ref: 'shareLink', 'data-testid': 'share-link' }, vm.shareLink),
      ]),
      h(
        'button',
        {
          type: 'button',
          class: 'button button--secondary',
          'data-testid': 'copy-link',
          onClick: vm.copyShareLink,
        },
        vm.copyResult === 'copied' ? 'Copied ✓' : 'Copy link',
      ),
      h(
        'p',
        { class: 'share__result', role: 'status', 'data-testid': 'copy-result' },
        copyMessages[vm.copyResult] ?? '',
      ),
    ]),
    h(
      'svg',
      {
        class: 'qr',
        viewBox: `0 0 ${size} ${size}`,
        role: 'img',
        'data-testid': 'share-qr',
        'aria-label': 'QR code of the link above: scan it with a phone camera to join',
      },
      [h('rect', { class: 'qr__light', width: size, height: size }), h('path', { class: 'qr__dark', d: path })],
    ),
  ]);
}

/** Everyone present, in join order (so the host first), the host and this peer marked in words, not only colour. */
function renderRoster(vm) {
  return h('div', { class: 'card' }, [
    h('h3', { 'aria-live': 'polite', 'data-testid': 'player-count' }, `Active players: ${vm.players.length}`),
    h(
      'ul',
      { class: 'players' },
      vm.players.map((player) =>
        h(
          'li',
          {
            // The clientId is no secret (every peer sees it in presence); tests use it to find this peer's connection.
            key: player.clientId,
            class: 'player',
            'data-testid': 'roster-item',
            'data-client-id': player.clientId,
          },
          [
            h('span', { 'data-testid': 'roster-name' }, player.friendlyName),
            player.isMe ? h('span', { class: 'player__you', 'data-testid': 'me-marker' }, ' (you)') : null,
            player.isHost
              ? h('span', { class: 'badge badge--host player__host', 'data-testid': 'host-badge' }, 'host')
              : null,
          ],
        ),
      ),
    ),
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
  document.querySelector('.loading').textContent =
    'The Ably library did not load (/vendor/ably.min.js). Reload the page to try again.';
} else {
  // Back/forward between "/" and "/s/<id>" changes what the page should show; a reload rebuilds it from the URL.
  addEventListener('popstate', () => location.reload());
  // A page restored from the back/forward cache left its session on pagehide; start again from the URL.
  addEventListener('pageshow', (evt) => evt.persisted && location.reload());
  createApp(App).mount('#app');
}
