"""A forging peer: a page in the same session that runs its own ably-js client with a valid token, publishes
host messages (words, a snapshot into a victim's inbox, a message claiming the host's clientId) and listens on
another peer's inbox. Nothing it sends changes anyone's page, and it reads nothing meant for someone else."""

from playwright.sync_api import expect

from tests.browser.actions import (
    PHRASE,
    client_id,
    expect_host,
    expect_in_step_with_the_host,
    expect_roster,
    host,
    join,
    stream_words,
)
from tests.site_build import SITE

# Runs in Mallory's page, which loaded the site but never joined through the UI: her own client, made with the
# site's own ably-js chunk and a token from the same API every peer uses, listening on the host's inbox.
CONNECT = """async ({ session, hostId, ablyModule }) => {
  const Ably = (await import(ablyModule)).default;
  const config = await (await fetch('/api/clientConfig')).json();
  const tokenUrl = `/api/createTokenRequest?session=${session}`;
  const realtime = new Ably.Realtime({
    ...config,
    authCallback: (_params, done) =>
      fetch(tokenUrl)
        .then((r) => r.json())
        .then((t) => done(null, t), (e) => done(e, null)),
  });
  const overheard = [];
  const hostInbox = realtime.channels.get(`p2p:${session}:inbox:${hostId}`);
  const listening = await hostInbox
    .subscribe((message) => overheard.push(message.name))
    .then(() => 'attached', (e) => `refused ${e.code}`);
  window.mallory = { realtime, session, overheard };
  return listening;
}"""


def ably_module() -> str:
    """The path the site serves its ably-js chunk at (hashed by the build; the page imports it when someone joins)."""
    (chunk,) = (SITE / "assets").glob("ably-*.js")
    return f"/assets/{chunk.name}"


# Everything Mallory's connection received before this marker was delivered to her before the marker.
OVERHEARD = """async () => {
  const { realtime, session, overheard } = window.mallory;
  const channel = realtime.channels.get(`p2p:${session}`);
  const marker = new Promise((resolve) => channel.subscribe('mallory-marker', resolve));
  await channel.publish('mallory-marker', {});
  await marker;
  return overheard;
}"""

FORGE = """async ({ hostId, victimId }) => {
  const { realtime, session } = window.mallory;
  const outcome = async (attempt) => {
    try { await attempt(); return 'accepted'; } catch (error) { return `refused ${error.code}`; }
  };
  const channel = realtime.channels.get(`p2p:${session}`);
  const victimInbox = realtime.channels.get(`p2p:${session}:inbox:${victimId}`);
  return {
    word: await outcome(() => channel.publish('word', { index: 0, word: 'FORGED', from: hostId })),
    secondWord: await outcome(() => channel.publish('word', { index: 1, word: 'WORDS', kind: 'word', via: 'inbox' })),
    snapshot: await outcome(() =>
      victimInbox.publish('connection-acknowledged', { words: ['FORGED', 'SNAPSHOT'], from: hostId }),
    ),
    posingAsHost: await outcome(() =>
      channel.publish({ name: 'word', data: { index: 0, word: 'IMPOSTOR' }, clientId: hostId }),
    ),
  };
}"""


def test_forged_host_messages_from_a_peer_with_a_valid_token_change_nothing(open_peer):
    alice, bob, mallory = open_peer("alice"), open_peer("bob"), open_peer("mallory")
    session = host(alice)
    join(bob, session)
    expect_roster(alice, ["alice", "bob"])
    mallory.expect_console_error(r"40012|clientId")
    mallory.page.evaluate(CONNECT, {"session": session, "hostId": client_id(alice), "ablyModule": ably_module()})

    outcome = mallory.page.evaluate(FORGE, {"hostId": client_id(alice), "victimId": client_id(bob)})

    assert outcome["word"] == outcome["secondWord"] == outcome["snapshot"] == "accepted", outcome
    assert outcome["posingAsHost"].startswith("refused 400"), "Ably refuses a clientId other than the token's"
    stream_words(alice)  # published after the forgeries were accepted, so every page has seen them by the end
    for peer in (alice, bob):
        expect(peer.page.get_by_test_id("received-words")).to_have_text(PHRASE, timeout=20_000)
        expect_roster(peer, ["alice", "bob"])
        expect_host(peer, "alice")
        expect_in_step_with_the_host(peer)


def test_a_peer_listening_on_the_hosts_inbox_overhears_nothing(open_peer):
    alice, mallory = open_peer("alice"), open_peer("mallory")
    session = host(alice)
    mallory.page.evaluate(CONNECT, {"session": session, "hostId": client_id(alice), "ablyModule": ably_module()})

    carol = open_peer("carol")
    join(carol, session)  # carol's `connected` went to the host's inbox, and the host answered it

    assert mallory.page.evaluate(OVERHEARD) == []
