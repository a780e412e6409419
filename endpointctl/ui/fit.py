"""Fitting a table for people into a terminal's width: columns as narrow as their cells, and the columns
that may be cut shortened with "…" until a line fits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The default status table fits this many columns; ``-o wide`` shows every column in full.
TABLE_WIDTH = 100
_GAP = 2  # spaces between columns, as in the other tables
_ELLIPSIS = "…"


def shorten(text: str, width: int, *, keep_end: bool) -> str:
    """``text`` in at most ``width`` characters: cut at the end, or (``keep_end``) in the middle, so that
    both ends stay readable (a model's organization and name)."""
    if len(text) <= width:
        return text
    if not keep_end or width < 8:
        return text[: width - 1] + _ELLIPSIS
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + _ELLIPSIS + text[len(text) - tail :]


def columns(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Left-aligned columns as in ``render``'s tables, but each as wide as its widest cell or header only
    (tabulate pads a column to two more than its header), for a table whose width is counted (``fit``)."""
    lines = [headers, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    gap = " " * _GAP
    return "".join(
        gap.join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n" for line in lines
    )


def fit(
    rows: list[list[str]],
    headers: Sequence[str],
    flexible: Mapping[int, int],
    limit: int,
    keep_end: int,
    yields: Mapping[int, int] | None = None,
) -> None:
    """Shorten the ``flexible`` columns (index: narrowest width) in place, widest first, until a line of
    the table is at most ``limit`` columns; the other columns are never cut. Column ``keep_end`` is cut in
    the middle, the others at the end. ``yields`` (index: characters) counts a column as that much wider
    when choosing which to cut, so it gives up room before the others do."""
    bias = yields or {}
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    excess = sum(widths) + _GAP * (len(widths) - 1) - limit
    while excess > 0:
        shrinkable = [i for i, least in flexible.items() if widths[i] > max(least, len(headers[i]))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i] + bias.get(i, 0))
        widths[widest] -= 1
        excess -= 1
    for row in rows:
        for i in flexible:
            row[i] = shorten(row[i], widths[i], keep_end=i == keep_end)
