"""Hardened lxml parsing for untrusted OpenADR input.

Entities are never resolved, no DTD is loaded, nothing is fetched from the network, libxml2's
huge-tree mode stays off, and any document type declaration is refused outright (XXE and
"billion laughs" both need one). The size limit is checked before a byte is parsed.
"""

from __future__ import annotations

import threading

from lxml import etree

from flexcoop.openadr.errors import CodecError
from flexcoop.openadr.messages import ResponseCode

DEFAULT_MAX_BYTES = 1_000_000

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers keep per-document state, so each thread (e.g. an executor) gets its own.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse(
    data: bytes | bytearray | memoryview | str, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._Element:
    """Parse untrusted XML into its root element; raises CodecError(400) for anything unsafe."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    raw = bytes(data)
    if len(raw) > max_bytes:
        raise CodecError(f"document of {len(raw)} bytes exceeds the limit of {max_bytes} bytes")
    start = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    # Only UTF-8/ASCII-compatible input: the DOCTYPE check below must see the markup as bytes.
    if not start.lstrip(b" \t\r\n").startswith(b"<"):
        raise CodecError("not an XML document in UTF-8 (it must start with '<')")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise CodecError("DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise CodecError(f"malformed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise CodecError("DOCTYPE declarations are not allowed", ResponseCode.BAD_REQUEST)
    return root
