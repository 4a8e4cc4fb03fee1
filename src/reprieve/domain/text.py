"""What counts as text: one check for every text a person or a platform gives Reprieve.

The Transparency Database trims each text before it checks it, and refuses a statement whose
required text is then empty; so a text that is blank once trimmed (spaces, tabs, line breaks,
no-break spaces, a byte-order mark, zero-width characters) counts as missing here too, on the
API, the console and the CLI alike. Control characters are refused: NUL cannot be stored by
PostgreSQL, and the others (but tab and line breaks in a multi-line text) are never meant.
"""

from __future__ import annotations

import re

from reprieve.domain.errors import ValidationError

#: Characters that are not whitespace to ``str.strip`` but are invisible at either end of a text:
#: the byte-order mark, zero-width space, non-joiner and joiner, word joiner, left-to-right mark
#: and the Mongolian vowel separator (whitespace before Unicode 6.3).
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u200e\u180e"

#: C0 control characters (and DEL) a single-line text refuses.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The same, but for tab, line feed and carriage return (a browser sends a textarea's lines as CRLF).
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def trim(value: str) -> str:
    """``value`` without what the Transparency Database trims at either end (whitespace, invisibles)."""
    if value and not (value[0].isspace() or value[0] in INVISIBLE or value[-1].isspace() or value[-1] in INVISIBLE):
        return value  # nothing to trim: the common case, some ten texts in each exported statement
    while True:
        trimmed = value.strip().strip(INVISIBLE)
        if trimmed == value:
            return value
        value = trimmed


def is_blank(value: str) -> bool:
    """Whether nothing is left of ``value`` once trimmed."""
    return not trim(value)


def refuse_controls(value: str, *, field: str, multiline: bool = True) -> str:
    """``value``, or a ValidationError naming ``field`` if it holds a control character."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found is not None:
        if found.group() == "\x00":
            raise ValidationError("must not contain NUL characters", field=field)
        raise ValidationError(f"must not contain control characters (U+{ord(found.group()):04X})", field=field)
    return value


def check_text(
    value: object, *, field: str, max_length: int | None = None, required: bool = True, multiline: bool = True
) -> str:
    """A text as given, checked: a string, no control characters, not too long, and if
    ``required`` not blank once trimmed. An optional text that is blank counts as missing: ``""``.
    """
    if value is None and required:
        raise ValidationError("is required", field=field)
    if not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"is {len(value)} characters long; at most {max_length}", field=field)
    refuse_controls(value, field=field, multiline=multiline)
    if is_blank(value):
        if required:
            raise ValidationError("must not be empty or blank", field=field)
        return ""
    return value
