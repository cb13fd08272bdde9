"""The oadrPoll fast path: venID without an XML parser, the empty answer without an encoder.

A poll is a tiny, fixed-shape document. ``poll_ven_id`` accepts only the canonical shape
(prefixed ``oadrPayload/oadrSignedObject/oadrPoll/venID``, namespaces bound on those elements,
no entities, no duplicate attributes, a venID of plain id characters) and returns ``None`` for
anything else, which then takes the full hardened decoder, so an odd-but-valid poll is still
answered correctly and nothing invalid gets through here. ``empty_reply`` is the codec's own
encoding of ``oadrResponse(200, venID)`` split around the venID once, so the bytes are exactly
what ``encode`` would produce.
"""

from __future__ import annotations

import re

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import encode

OADR_NS = b"http://openadr.org/oadr-2.0b/2012/07"
EI_NS = b"http://docs.oasis-open.org/ns/energyinterop/201110"

_ATTRS = rb'((?:\s+[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?\s*=\s*"[^"<&]*")*)\s*'
_POLL = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml\s[^<>?]*\?>\s*)?"
    rb"<(?P<p>[A-Za-z_][\w.-]*):oadrPayload" + _ATTRS + rb">\s*"
    rb"<(?P=p):oadrSignedObject" + _ATTRS + rb">\s*"
    rb"<(?P=p):oadrPoll" + _ATTRS + rb">\s*"
    rb"<(?P<e>[A-Za-z_][\w.-]*):venID>(?P<ven>[A-Za-z0-9._:-]{1,128})</(?P=e):venID>\s*"
    rb"</(?P=p):oadrPoll>\s*</(?P=p):oadrSignedObject>\s*</(?P=p):oadrPayload>\s*\Z"
)
_ATTR = re.compile(rb'([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"')


def _bindings(attrs: bytes, scope: dict[bytes, bytes]) -> bool:
    """Add one start tag's xmlns:prefix bindings to ``scope``; False on a duplicate attribute."""
    seen: set[bytes] = set()
    for name, value in _ATTR.findall(attrs):
        if name in seen:
            return False
        seen.add(name)
        if name.startswith(b"xmlns:"):
            scope[name[6:]] = value
        elif name == b"xmlns":
            return False  # a default namespace changes unprefixed names: leave it to lxml
    return True


def _canonical_at(body: bytes, start: int, end: int) -> bool:
    """Is ``body`` a canonical poll whose venID text spans exactly ``body[start:end]``?"""
    match = _POLL.match(body)
    if match is None or match.span("ven") != (start, end):
        return False
    scope: dict[bytes, bytes] = {}
    for group in (2, 3, 4):
        if not _bindings(match.group(group), scope):
            return False
    return scope.get(match.group("p")) == OADR_NS and scope.get(match.group("e")) == EI_NS


_VEN_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# A VEN sends the same document every time but for its venID: remember which surroundings
# (everything before and after the venID text) were checked. Bounded in count and size.
_TEMPLATES: dict[tuple[bytes, bytes], bool] = {}
_TEMPLATE_MAX = 256
_TEMPLATE_MAX_BYTES = 2048


def poll_ven_id(body: bytes) -> str | None:
    """The venID of a canonical oadrPoll document, or None (use the full decoder)."""
    i = body.find(b"venID>")
    if i < 0:
        return None
    start = i + 6
    end = body.find(b"<", start)
    if end < 0 or not _VEN_ID.fullmatch(body, start, end):
        return None
    key = (body[:start], body[end:])
    ok = _TEMPLATES.get(key)
    if ok is None:
        ok = _canonical_at(body, start, end)
        if len(_TEMPLATES) < _TEMPLATE_MAX and len(body) <= _TEMPLATE_MAX_BYTES:
            _TEMPLATES[key] = ok
    return body[start:end].decode("ascii") if ok else None


_MARK = "VENIDPLACEHOLDER0123456789"
_HEAD, _TAIL = encode(m.OadrResponse(ven_id=_MARK)).split(_MARK.encode())


def empty_reply(ven_id: str) -> bytes:
    """``encode(OadrResponse(ven_id=ven_id))`` for a venID made of plain id characters."""
    return _HEAD + ven_id.encode("ascii") + _TAIL
