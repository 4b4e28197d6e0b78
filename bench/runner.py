"""How every benchmark runs: targets (a configuration, a protocol, a page...) measured in turn, the order reversed
every other run so that drift on the machine weighs on all alike."""

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


async def alternating(
    targets: Sequence[T], runs: int | Callable[[T], int], once: Callable[[T], Awaitable[S]], warm_up: bool = True
) -> dict[T, list[S]]:
    """``once(target)`` per target per run (``runs``: a number, or one per target), after a warm-up round."""
    runs_of = runs if callable(runs) else (lambda _target: runs)
    if warm_up:
        for target in targets:
            await once(target)
    samples: dict[T, list[S]] = {target: [] for target in targets}
    for run in range(max(map(runs_of, targets))):
        for target in targets if run % 2 == 0 else targets[::-1]:
            if run < runs_of(target):
                samples[target].append(await once(target))
    return samples
