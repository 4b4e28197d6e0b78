"""A VCDIFF (RFC 3284) encoder for message deltas: no maintained Python encoder is on the package registries.

One window, the default code table, no secondary compression: COPYs of blocks the target shares with the source
(addressed in VCD_SELF mode) and ADDs of the rest. Correctness matters more than compression here; the tests
decode its output with the decoders ably-js and ably-python use.
"""

MAGIC = b"\xd6\xc3\xc4\x00"  # 'VCD' with the high bits set, version 0
VCD_SOURCE = 0x01  # Win_Indicator: the window copies from the source segment
# Shortest shared block worth a COPY: a COPY of mode 0 costs a code, a size and an address (ADD bytes cost one each).
BLOCK = 4
# Source positions tried per block, so that repetitive data does not make matching quadratic.
CANDIDATES = 8
# The default code table's codes used (RFC 3284 section 5.6): ADD with size 1..17 in codes 2..18, ADD with the size
# following in code 1; COPY mode 0 (VCD_SELF) with size 4..18 in codes 20..34, with the size following in code 19.
ADD_SIZE_FOLLOWS = 1
ADD_LARGEST_IN_CODE = 17
COPY_SIZE_FOLLOWS = 19
COPY_LARGEST_IN_CODE = 18


def encode(source: bytes, target: bytes) -> bytes:
    """A delta that turns `source` into `target` (any bytes, either may be empty)."""
    data, instructions, addresses = bytearray(), bytearray(), bytearray()
    for start, size, address in _plan(source, target):
        if address is None:
            data += target[start : start + size]
            instructions += _code(size, ADD_SIZE_FOLLOWS, ADD_LARGEST_IN_CODE, 1)
        else:
            instructions += _code(size, COPY_SIZE_FOLLOWS, COPY_LARGEST_IN_CODE, BLOCK)
            addresses += varint(address)
    sections = (
        varint(len(target))
        + b"\x00"  # Delta_Indicator: no section is compressed
        + varint(len(data))
        + varint(len(instructions))
        + varint(len(addresses))
        + data
        + instructions
        + addresses
    )
    window = bytes([VCD_SOURCE]) + varint(len(source)) + varint(0) if source else b"\x00"
    return MAGIC + b"\x00" + window + varint(len(sections)) + sections


def _code(size: int, size_follows: int, largest_in_code: int, smallest: int) -> bytes:
    """The instruction code for an ADD or COPY of `size`, with the size after it when the code cannot hold it."""
    if size <= largest_in_code:
        return bytes([size_follows + 1 + size - smallest])
    return bytes([size_follows]) + varint(size)


def _plan(source: bytes, target: bytes) -> list[tuple[int, int, int | None]]:
    """The target as consecutive `(start, size, source address)` pieces; address None: ADD those bytes."""
    index: dict[bytes, list[int]] = {}
    for position in range(len(source) - BLOCK + 1):
        places = index.setdefault(source[position : position + BLOCK], [])
        if len(places) < CANDIDATES:
            places.append(position)
    pieces: list[tuple[int, int, int | None]] = []
    added = position = 0
    while position <= len(target) - BLOCK:
        address, size = _longest_match(source, target, position, index.get(target[position : position + BLOCK], ()))
        if size < BLOCK:
            position += 1
            continue
        if added < position:
            pieces.append((added, position - added, None))
        pieces.append((position, size, address))
        position += size
        added = position
    if added < len(target):
        pieces.append((added, len(target) - added, None))
    return pieces


def _longest_match(source: bytes, target: bytes, at: int, places) -> tuple[int, int]:
    """The source position among `places` whose bytes agree longest with the target's from `at`, and that length."""
    best_address, best_size = 0, 0
    for place in places:
        size = 0
        most = min(len(source) - place, len(target) - at)
        while size < most and source[place + size] == target[at + size]:
            size += 1
        if size > best_size:
            best_address, best_size = place, size
    return best_address, best_size


def varint(number: int) -> bytes:
    """RFC 3284's integer: base 128, most significant digit first, every byte but the last with its top bit set."""
    digits = [number & 0x7F]
    number >>= 7
    while number:
        digits.append(0x80 | (number & 0x7F))
        number >>= 7
    return bytes(reversed(digits))
