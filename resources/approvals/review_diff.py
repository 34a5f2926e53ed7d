"""The side-by-side diff of the detail page, immune to control characters in a proposal.

difflib.HtmlDiff marks changes with \\0 and \\1 inside the text and `splitlines()` also splits on \\v, \\f, \\x1c-\\x1e,
\\x85 and U+2028/9, so such characters in a model's output would misplace the highlighting or the line numbers.
Lines are split on newlines only, and every other C0/C1 control (tab excepted) is shown as a visible escape.
"""

import difflib
import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown_lines(text: str) -> list[str]:
    """Text as diff lines: CRLF and LF end lines, any other control character becomes an escape like \\x1b."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":  # a final newline ends the last line, as with str.splitlines()
        lines.pop()
    return [_CONTROLS.sub(lambda m: _visible(m.group()), line) for line in lines]


def side_by_side(current: str, proposed: str, proposed_label: str) -> str:
    """The HTML table comparing the current version with the proposal (escaped by difflib)."""
    return difflib.HtmlDiff(wrapcolumn=70).make_table(
        shown_lines(current), shown_lines(proposed), "Current version", proposed_label)
