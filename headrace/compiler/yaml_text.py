"""Deterministic, fast YAML for a workflow document: block style, same document, same bytes.

PyYAML's representer costs about a second per thousand steps; a workflow holds only dicts,
lists, strings, ints and bools, so this emitter writes them directly. A string stays plain only
when every YAML 1.1 and 1.2 parser (PyYAML, Go's yaml behind kubectl and Argo) must read it back
as that same string; other printable strings are single-quoted (only ' is doubled, so the IR's
JSON stays readable), and the rest are written as JSON strings, which YAML reads the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Plain-safe: starts with a letter, '/', '_' or a flag's '-x'/'--x' (digits, dots, signs and
# indicators may start a number, a bool, a tag or an alias), holds no ': ', ' #', tab, quote or
# indicator that changes meaning, and does not end in ':' or a space.
_PLAIN = re.compile(r"(?:[A-Za-z_/]|--?[A-Za-z])[-A-Za-z0-9_./=(),;+$~^@ :{}\[\]]*")
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]*")
# YAML 1.1 reads these words (any case) as booleans or null; '.inf'/'.nan' as floats.
_SPECIAL = re.compile(r"(?i:y|n|yes|no|true|false|on|off|null|~|\.inf|\.nan)")
# JSON leaves these raw, but YAML treats them as line breaks or forbids them unescaped
# (C1 controls, line/paragraph separators, the BOM, lone surrogates, the non-characters FFFE/FFFF).
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_plain_cache: dict[str, str] = {}


def _string(text: str) -> str:
    cached = _plain_cache.get(text)
    if cached is not None:
        return cached
    if (_PLAIN.fullmatch(text) and not _SPECIAL.fullmatch(text) and ": " not in text
            and not text.endswith((":", " "))):
        out = text
    elif _PRINTABLE.fullmatch(text) and not _UNSAFE.search(text):
        out = "'" + text.replace("'", "''") + "'"
    else:
        out = _json(text)
    if len(text) < 200:  # short strings repeat (keys, flags, images); long ones rarely do
        _plain_cache[text] = out
    return out


def _json(value: Any) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)  # YAML 1.1 reads a float only with a dot: 1e-05 -> 1.0e-05
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as YAML")


def _mapping(data: dict[str, Any], indent: int, out: list[str], first: str | None) -> None:
    pad = " " * indent
    for key, value in data.items():
        prefix, first = (first if first is not None else pad), None
        if not isinstance(key, str):
            raise TypeError(f"mapping keys must be strings, got {key!r}")
        if isinstance(value, dict) and value:
            out.append(f"{prefix}{_string(key)}:\n")
            _mapping(value, indent + 2, out, None)
        elif isinstance(value, list) and value:
            out.append(f"{prefix}{_string(key)}:\n")
            _sequence(value, indent, out, None)  # Kubernetes style: "- " level with the key
        else:
            out.append(f"{prefix}{_string(key)}: {_scalar(value)}\n")


def _sequence(items: list[Any], indent: int, out: list[str], first: str | None) -> None:
    for item in items:
        dash, first = (first if first is not None else " " * indent) + "- ", None
        if isinstance(item, dict) and item:
            _mapping(item, indent + 2, out, dash)
        elif isinstance(item, list) and item:
            _sequence(item, indent + 2, out, dash)  # "- - x"
        else:
            out.append(f"{dash}{_scalar(item)}\n")


def dump(doc: dict[str, Any]) -> str:
    """The document as block-style YAML, keys in the document's own order."""
    out: list[str] = []
    _mapping(doc, 0, out, None)
    return "".join(out)
