"""The emulator's VCDIFF encoder (emulator/vcdiff.py) judged by the decoders the SDKs use: ably-python's
(`vcdiff-decoder` from PyPI) and ably-js's (`@ably/vcdiff-decoder` from npm). Every delta must turn its source into
its target exactly, whatever the two are; a small change must cost a small delta."""

import base64
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
import vcdiff_decoder
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator import vcdiff

ROOT = Path(__file__).resolve().parents[2]
JS_DECODE_ALL = """
const decoder = require('@ably/vcdiff-decoder');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([source, delta]) =>
  Buffer.from(decoder.decode(Buffer.from(delta, 'base64'), Buffer.from(source, 'base64'))).toString('base64'));
process.stdout.write(JSON.stringify(out));
"""


def edited(data: bytes, rng: random.Random, edits: int) -> bytes:
    """`data` with `edits` random replacements, insertions and deletions."""
    result = bytearray(data)
    for _ in range(edits):
        at = rng.randrange(len(result) + 1)
        result[at : at + rng.randrange(8)] = rng.randbytes(rng.randrange(8))
    return bytes(result)


def cases() -> list[tuple[str, bytes, bytes]]:
    rng = random.Random(3284)
    text = json.dumps({"foo": "bar", "count": 1, "status": "active", "tags": ["x"] * 40}).encode()
    large = rng.randbytes(1 << 20)
    named = [
        ("both empty", b"", b""),
        ("empty source", b"", b"a whole new message"),
        ("empty target", b"the previous message", b""),
        ("identical", text, text),
        ("one field changed", text, text.replace(b'"count": 1', b'"count": 2')),
        ("unrelated binary", rng.randbytes(500), rng.randbytes(700)),
        ("every byte value", bytes(range(256)), bytes(reversed(range(256))) + bytes(range(256))),
        ("unicode", "héllo wörld ✓ 🎲 ".encode() * 30, "héllo wörld ✗ 🎲 ".encode() * 31),
        ("repetitive", b"\x00" * 100_000, b"\x00" * 100_001 + b"\x01"),
        ("shorter than a block", b"abc", b"abd"),
        ("large with edits", large, edited(large, rng, 50)),
    ]
    # Sizes either side of what an instruction code can hold (ADD up to 17 bytes, COPY up to 18).
    for size in (16, 17, 18, 19, 20, 127, 128, 129, 16_384):
        block = rng.randbytes(size)
        named.append((f"copy of {size}", block, block + b"!"))
        named.append((f"add of {size}", b"", block))
    for n in range(60):
        source = rng.randbytes(rng.randrange(600))
        named.append((f"random edits {n}", source, edited(source, rng, rng.randrange(12))))
    return named


CASES = cases()


@pytest.mark.parametrize(("source", "target"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_ably_pythons_decoder_rebuilds_every_target(source, target):
    assert vcdiff_decoder.decode(source, vcdiff.encode(source, target)) == target


def test_ably_js_decoder_rebuilds_every_target():
    node = shutil.which("node")
    assert node, "node is needed to run ably-js's decoder"
    deltas = [vcdiff.encode(source, target) for _, source, target in CASES]
    payload = [
        [base64.b64encode(source).decode(), base64.b64encode(delta).decode()]
        for (_, source, _), delta in zip(CASES, deltas, strict=True)
    ]
    run = subprocess.run(
        [node, "-e", JS_DECODE_ALL], input=json.dumps(payload), capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert run.returncode == 0, run.stderr
    decoded = [base64.b64decode(text) for text in json.loads(run.stdout)]
    wrong = [name for (name, _, target), got in zip(CASES, decoded, strict=True) if got != target]
    assert wrong == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.data())
def test_any_source_and_any_target_round_trip(source, data):
    target = data.draw(st.one_of(st.binary(max_size=300), st.just(source)))
    assert vcdiff_decoder.decode(source, vcdiff.encode(source, target)) == target


def test_a_small_change_to_a_large_message_costs_a_small_delta():
    before = json.dumps({"player": "alice", "score": 10, "board": list(range(2000))}).encode()
    after = before.replace(b'"score": 10', b'"score": 11')
    assert len(vcdiff.encode(before, after)) < 64 < len(after)


def test_integers_are_written_as_rfc_3284_says():
    # RFC 3284 section 2: 123456789 is 10111010 11101111 10011010 00010101.
    assert vcdiff.varint(123456789) == bytes([0xBA, 0xEF, 0x9A, 0x15])
    assert (vcdiff.varint(0), vcdiff.varint(127), vcdiff.varint(128)) == (b"\x00", b"\x7f", b"\x81\x00")
