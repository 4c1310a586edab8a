"""What a text field may hold: one rule for every form, API body and service.

Two kinds of field:

- a **line** (names, emails, lot numbers, brand, shade, needle, ...): printable text on one line.
  Refused: every C0 control character (U+0000-U+001F, so NUL, TAB, LF and CR too), DEL (U+007F),
  every C1 control (U+0080-U+009F, e.g. U+0085 NEXT LINE), the line and paragraph separators
  (U+2028, U+2029), the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) and unpaired surrogates (U+D800-U+DFFF).
- a **text** (notes): the same, except that LF and TAB are allowed, and CRLF (what browsers send
  for a line break in a textarea) is read as LF. A CR on its own is still refused.

Why each is refused: NUL is refused by PostgreSQL (a 500) and silently stored by SQLite; CR and
LF start a new header in mail (header injection) or a new line in a log or CSV; other controls
are invisible and make two different values look the same; the bidi overrides and isolates
reorder what is shown (a name that reads differently from what is stored, "Trojan Source",
CVE-2021-42574); an unpaired surrogate cannot be encoded as UTF-8 at all.

Allowed on purpose: the left-to-right and right-to-left *marks* (U+200E, U+200F, U+061C). They
only set the direction of neighbouring neutral characters (punctuation, digits) and cannot
reorder a run of letters, so they cannot disguise text the way an override can; keyboards for
Arabic and Hebrew type them, and a name written in those scripts may need them. Zero-width
joiners (U+200C, U+200D), needed by Indic scripts and emoji, are allowed too.

Messages name the character by position and code point (never the character itself, which
would be invisible or reorder the message) and say what to do.
"""

from __future__ import annotations

import re

# The refused characters as one regular-expression class, written so that it means the same in
# Python's ``re`` and in JSON Schema's ECMA 262 patterns (``\\uXXXX`` escapes only): the API's
# OpenAPI document states these patterns. Surrogates are left out of the patterns because some
# regex engines cannot name them (UTF-8 strings cannot hold them); ``refusal`` adds them.
_LINE_REFUSED = r"\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069"
# A multi-line text refuses the same minus TAB, LF and CR; a CR is taken only before an LF.
_TEXT_REFUSED = (
    r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069"
)

LINE_PATTERN = f"^[^{_LINE_REFUSED}]*$"
TEXT_PATTERN = f"^(?:[^{_TEXT_REFUSED}\\r]|\\r\\n)*$"

_REFUSED = {
    False: re.compile(f"[{_LINE_REFUSED}\\ud800-\\udfff]"),
    True: re.compile(f"[{_TEXT_REFUSED}\\r\\ud800-\\udfff]"),
}
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class TextRefused(ValueError):
    """A text value holds a character its field does not take. ``message`` is a sentence a
    person can act on; ``position`` is the 1-based position of the first such character."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _describe(char: str, multiline: bool) -> tuple[str, str]:
    """What ``char`` is, and why it goes (or "" when the name says enough)."""
    code = f"U+{ord(char):04X}"
    if char == "\t":
        return "a tab", "this field takes a single line"
    if char in _LINE_BREAKS and multiline:
        name = "a carriage return" if char == "\r" else "an unusual line break"
        return f"{name} ({code})", "use an ordinary line break"
    if char in _LINE_BREAKS:
        return f"a line break ({code})", "this field takes a single line"
    if char in _BIDI:
        return (
            f"a text-direction control ({code})",
            "it can make text display in a misleading order",
        )
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"a broken character ({code}, half of a pair)", ""
    if char == "\x00":
        return f"a null character ({code})", ""
    return f"an invisible control character ({code})", ""


def refusal(value: str, *, multiline: bool = False) -> TextRefused | None:
    """Why ``value`` does not fit the field (a ``TextRefused`` naming the first refused
    character and how many others there are), or None when it fits.

    ``value`` is judged as given; for a multi-line field ``check_text`` reads CRLF as LF first,
    so only a CR on its own is refused here.
    """
    found = [match.start() for match in _REFUSED[multiline].finditer(value)]
    if not found:
        return None
    first = found[0]
    what, why = _describe(value[first], multiline)
    more = len(found) - 1
    message = f"Remove {what} at position {first + 1}"
    if more:
        message += f" (and {more} more like it)"
    if why:
        message += f"; {why}"
    return TextRefused(message + ".", first + 1)


def normalise_newlines(value: str) -> str:
    """CRLF read as LF: browsers send a textarea's line breaks as CRLF."""
    return value.replace("\r\n", "\n")


def check_line(value: str) -> str:
    """``value`` unchanged if it fits a single-line field; else raises ``TextRefused``."""
    refused = refusal(value)
    if refused is not None:
        raise refused
    return value


def check_text(value: str) -> str:
    """``value`` with CRLF read as LF if it fits a multi-line field; else raises
    ``TextRefused``."""
    value = normalise_newlines(value)
    refused = refusal(value, multiline=True)
    if refused is not None:
        raise refused
    return value


def check(value: str, *, multiline: bool = False) -> str:
    """``check_text`` when ``multiline``, else ``check_line``."""
    return check_text(value) if multiline else check_line(value)


def problem(value: str, *, multiline: bool = False) -> str | None:
    """The sentence of ``refusal`` (after CRLF is read as LF when ``multiline``), or None."""
    if multiline:
        value = normalise_newlines(value)
    refused = refusal(value, multiline=multiline)
    return None if refused is None else refused.message


def is_clean(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` fits the field (after CRLF is read as LF when ``multiline``)."""
    return problem(value, multiline=multiline) is None


_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename_part(value: str, fallback: str) -> str:
    """``value`` as a piece of a download's file name (``Content-Disposition``): ASCII letters,
    digits, dots, dashes and underscores only, so no quote, CR, LF or path can reach the
    header; ``fallback`` when nothing is left."""
    return _FILENAME_UNSAFE.sub("_", value or "").strip("._") or fallback
