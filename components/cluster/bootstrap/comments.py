"""Full-line comments out of the scripts the user data embeds: EC2's 16 KB limit decides what travels.

The scripts in this directory carry their reasoning as comments; read them here. On the node they only run,
and their comments were most of the user data (about 1.9 KB of headroom was left under EC2's 16 KB). Removed:
lines whose first non-blank character is ``#`` in shell scripts, and comment tokens alone on their line in
Python. Kept: the shebang, ``shellcheck`` directives (``# shellcheck source=/dev/null`` changes what shellcheck
checks), blank lines and every trailing comment.

Shell has no tokenizer here: a ``#`` line inside a multi-line quoted string (the ``python3 -c '...'`` programs)
is content, and dropping it would change the program. tests/test_bootstrap_render.py lexes every script before
and after and requires the same command words, so such a line fails a test instead of a boot.

Rejected: minifying (joined lines, shortened names) - a journal's error names a line and a function the
operator must find in the source; and keeping the comments with a larger layout refused - comments are the
cheapest bytes to drop.
"""

from __future__ import annotations

import io
import re
import tokenize

_SHELL = re.compile(r"#!\s*/(usr/)?bin/(env\s+)?(ba)?sh\b")
_PYTHON = re.compile(r"#!\s*/(usr/)?bin/(env\s+)?python3?\b")


def strip_comments(text: str) -> str:
    """``text`` without its full-line comments when it is a shell or Python script (by its shebang), else as is."""
    first = text.split("\n", 1)[0]
    if _SHELL.match(first):
        return _strip_shell(text)
    if _PYTHON.match(first):
        return _strip_python(text)
    return text


def _strip_shell(text: str) -> str:
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines[1:] if not line.lstrip().startswith("#") or "shellcheck " in line]
    return "".join(lines[:1] + kept)


def _strip_python(text: str) -> str:
    comment_rows = {token.start[0] for token in tokenize.generate_tokens(io.StringIO(text).readline)
                    if token.type == tokenize.COMMENT and token.line.lstrip().startswith("#")}
    comment_rows.discard(1)  # the shebang
    lines = text.splitlines(keepends=True)
    return "".join(line for row, line in enumerate(lines, 1) if row not in comment_rows)
