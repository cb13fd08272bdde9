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


def poll_ven_id(body: bytes) -> str | None:
    """The venID of a canonical oadrPoll document, or None (use the full decoder)."""
    match = _POLL.match(body)
    if match is None:
        return None
    scope: dict[bytes, bytes] = {}
    for group in (2, 3, 4):
        if not _bindings(match.group(group), scope):
            return None
    if scope.get(match.group("p")) != OADR_NS or scope.get(match.group("e")) != EI_NS:
        return None
    return match.group("ven").decode("ascii")


_MARK = "VENIDPLACEHOLDER0123456789"
_HEAD, _TAIL = encode(m.OadrResponse(ven_id=_MARK)).split(_MARK.encode())


def empty_reply(ven_id: str) -> bytes:
    """``encode(OadrResponse(ven_id=ven_id))`` for a venID made of plain id characters."""
    return _HEAD + ven_id.encode("ascii") + _TAIL
