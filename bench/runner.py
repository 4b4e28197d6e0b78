"""How every benchmark runs: targets (a configuration, a protocol, a page...) measured in turn, the order reversed
every other run so that drift on the machine weighs on all alike."""

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


async def alternating(
    targets: Sequence[T], runs: int, once: Callable[[T], Awaitable[S]], warm_up: bool = True
) -> dict[T, list[S]]:
    """``once(target)`` per target per run, after a warm-up round."""
    if warm_up:
        for target in targets:
            await once(target)
    samples: dict[T, list[S]] = {target: [] for target in targets}
    for run in range(runs):
        for target in targets if run % 2 == 0 else targets[::-1]:
            samples[target].append(await once(target))
    return samples
