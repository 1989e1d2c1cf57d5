"""RustFS ``{N...M}`` range expansion for ``RUSTFS_VOLUMES`` arguments.

Facts taken from rustfs/rustfs ``crates/utils/src/string.rs`` (``find_ellipses_patterns``,
``parse_ellipses_range``, ``ArgPattern::expand``) at tag 1.0.0-rc.3 (commit 1aae680, the newest release tag
the stored snapshot has; unchanged at main 20d1266; tests/data/rustfs_settings.json):

* ``RUSTFS_VOLUMES`` is split on every single space (``rustfs/src/config/cli.rs``, ``value_delimiter = ' '``
  with ``NonEmptyStringValueParser``): an empty piece - a double, leading or trailing space - is refused at
  start-up (``rustfs/src/config/config_test.rs``, "Multiple consecutive spaces should cause parsing failure").
* Forms (``crates/ecstore/src/layout/disks_layout.rs`` ``DisksLayout::from_volumes``): when any argument has
  a range, every piece is one server pool and, with several pieces, each must have a range; when none has a
  range (the legacy form), all pieces together are the endpoints of one pool.
* A range is ``{start...end}``. Bounds are decimal, or hexadecimal when either bound holds a letter a-f
  (hex values are zero-padded to the width of ``end``, upper case kept). A decimal range whose start has a
  leading zero (``{01...32}``) is zero-padded to the width of ``end``. ``start > end`` is an error, and a
  range may hold at most 10 000 values. A brace left over after parsing is an error.
* Expansion order: the **leftmost range varies fastest**. ``http://h{1...2}/d{1...2}`` expands to
  ``h1/d1, h2/d1, h1/d2, h2/d2`` - so with hosts on the left, consecutive endpoints walk across hosts first.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_RANGE_SIZE = 10_000
_RANGE = re.compile(r"\{([0-9A-Fa-f]*)\.\.\.([0-9A-Fa-f]*)\}")


class EllipsesError(ValueError):
    """A ``RUSTFS_VOLUMES`` argument RustFS would reject while expanding ranges."""


@dataclass(frozen=True)
class VolumeArg:
    """One pool argument split into literal text and ranges, left to right.

    ``literals`` has one more element than ``ranges``: literal0 range0 literal1 range1 ... literalN.
    """

    literals: tuple[str, ...]
    ranges: tuple[tuple[str, ...], ...]

    @property
    def total(self) -> int:
        size = 1
        for values in self.ranges:
            size *= len(values)
        return size

    def expand(self) -> list[str]:
        """Endpoints in RustFS order (leftmost range fastest)."""
        # itertools.product varies its last iterable fastest, so feed the ranges right-to-left.
        endpoints = []
        for combo in itertools.product(*reversed(self.ranges)):
            values = combo[::-1]
            parts = [self.literals[0]]
            for value, literal in zip(values, self.literals[1:], strict=True):
                parts += [value, literal]
            endpoints.append("".join(parts))
        return endpoints


def has_ellipses(arg: str) -> bool:
    """True when RustFS treats ``arg`` as an ellipsis expression (valid or not)."""
    return "..." in arg or any("." in m for m in re.findall(r"\{([^{}]*)\}", arg))


def parse_range(start: str, end: str) -> tuple[str, ...]:
    if not start or not end:
        raise EllipsesError(f"invalid range {{{start}...{end}}}: both bounds are required")
    is_hex = any(c in "abcdefABCDEF" for c in start + end)
    upper = any(c in "ABCDEF" for c in start + end)
    first, last = int(start, 16 if is_hex else 10), int(end, 16 if is_hex else 10)
    if first > last:
        raise EllipsesError(f"invalid range {{{start}...{end}}}: start is bigger than end")
    if last - first + 1 > MAX_RANGE_SIZE:
        raise EllipsesError(f"invalid range {{{start}...{end}}}: more than {MAX_RANGE_SIZE} values")
    if is_hex:
        spec = f"0{len(end)}{'X' if upper else 'x'}"
    elif start.startswith("0") and len(start) > 1:
        spec = f"0{len(end)}d"
    else:
        spec = "d"
    return tuple(format(i, spec) for i in range(first, last + 1))


def parse_volume_arg(arg: str) -> VolumeArg:
    """Split one pool argument into literals and expanded ranges; raise EllipsesError like RustFS would."""
    literals: list[str] = []
    ranges: list[tuple[str, ...]] = []
    pos = 0
    for match in _RANGE.finditer(arg):
        literals.append(arg[pos : match.start()])
        ranges.append(parse_range(match.group(1), match.group(2)))
        pos = match.end()
    literals.append(arg[pos:])
    if not ranges:
        raise EllipsesError(f"no {{N...M}} range in volume argument {arg!r}")
    if any(brace in lit for lit in literals for brace in "{}"):
        raise EllipsesError(f"stray brace in volume argument {arg!r}")
    return VolumeArg(literals=tuple(literals), ranges=tuple(ranges))


def split_volumes(volumes: str) -> list[str]:
    """``RUSTFS_VOLUMES`` -> its space-separated arguments; an empty one is refused, as RustFS refuses it."""
    pieces = volumes.split(" ")
    if not all(pieces):
        raise EllipsesError(f"RUSTFS_VOLUMES {volumes!r} has an empty argument (a double, leading or trailing "
                            "space, or nothing at all): RustFS refuses it")
    return pieces


def is_legacy(args: list[str]) -> bool:
    """No argument has a range: all arguments together are the endpoints of one pool."""
    return not any(has_ellipses(a) for a in args)


def expand_volumes(volumes: str) -> list[str]:
    """Every endpoint of ``RUSTFS_VOLUMES`` in RustFS order, in either form (ranges or the legacy list)."""
    args = split_volumes(volumes)
    if is_legacy(args):
        return args
    if len(args) > 1 and not all(has_ellipses(a) for a in args):
        raise EllipsesError("with several pools every RUSTFS_VOLUMES argument must use {N...M} ranges")
    return [e for arg in args for e in parse_volume_arg(arg).expand()]
