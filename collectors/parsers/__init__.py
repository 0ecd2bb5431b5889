"""Pure parsers: text in, `bgprobe.reports.events.Event` out. Shared by live streams and files.

Conventions for every parser module:
- input is an iterable of `(lineno, text)` pairs (text without its trailing newline), so the same
  function serves a file, a bugreport section and a live stream;
- `where` is the location prefix (a file path, `bugreport.zip!entry.txt`, or `live:<serial>`);
  each event's `where` is `f"{where}:{lineno}"`;
- parsers never raise on arbitrary input: what they do not understand, they skip.
"""

from collections.abc import Iterable

NumberedLines = Iterable[tuple[int, str]]


def at(where: str, lineno: int) -> str:
    return f"{where}:{lineno}"
