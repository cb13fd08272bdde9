"""OpenADR 2.0b XML codec: ``encode(msg) -> bytes`` and ``decode(xml) -> msg``.

- ``encode`` writes a complete ``oadrPayload/oadrSignedObject`` document in UTF-8 that validates
  against the official 2.0b XSD. Small constant messages (oadrResponse, oadrPoll, …) are cached
  by value, so the VTN's "nothing new" answer to a poll costs a dictionary lookup.
- ``decode`` parses untrusted input with a hardened parser (``safexml``: size limit first, no
  DOCTYPE, no entities, no network) and reads the payload structurally: missing or malformed
  elements raise ``CodecError`` with the eiResponse code to answer with. Full XSD validation is
  opt-in (``validate=True``) because it costs far more than decoding; the oadrPoll path never
  needs it.
- XML signatures (``ds:Signature``) are out of scope for now: a signature in the input is
  ignored, none is written. Transport security is mTLS.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from flexcoop.openadr import messages as m
from flexcoop.openadr.bindings import MESSAGE_SPECS, SPECS_BY_TAG
from flexcoop.openadr.errors import CodecError
from flexcoop.openadr.safexml import DEFAULT_MAX_BYTES, parse
from flexcoop.openadr.xmlspec import NS, decode_spec, encode_nodes, pretty_tag, q

__all__ = ["CodecError", "decode", "encode"]

_PAYLOAD = q("oadr", "oadrPayload")
_SIGNED_OBJECT = q("oadr", "oadrSignedObject")
_REQUEST_ID = q("pyld", "requestID")
_NSMAP = {prefix: uri for prefix, uri in NS.items() if prefix != "ds"}

# Messages made of scalars (and an eiResponse) only: safe and cheap to key a cache on.
_CACHEABLE: frozenset[type[m.OadrMessage]] = frozenset(
    {
        m.OadrResponse,
        m.OadrPoll,
        m.OadrQueryRegistration,
        m.OadrRequestReregistration,
        m.OadrRequestEvent,
        m.OadrCancelPartyRegistration,
        m.OadrCanceledPartyRegistration,
        m.OadrCreatedOpt,
        m.OadrCancelOpt,
        m.OadrCanceledOpt,
    }
)
_CACHE_MAX = 4096
_cache: dict[tuple[Any, ...], bytes] = {}


def _key(msg: BaseModel) -> tuple[Any, ...]:
    # __dict__ holds exactly the fields, in declaration order; only EiResponse nests here.
    return (type(msg), *(_key(v) if isinstance(v, BaseModel) else v for v in msg.__dict__.values()))


_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n<oadr:oadrPayload"
    + "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in _NSMAP.items())
    + '><oadr:oadrSignedObject oadr:Id="oadrSignedObject">'
)
_TAIL = "</oadr:oadrSignedObject></oadr:oadrPayload>"


def _encode(msg: m.OadrMessage) -> bytes:
    spec = MESSAGE_SPECS[type(msg)]
    out = [_HEAD, f'<oadr:{msg.message_type} ei:schemaVersion="2.0b">']
    try:
        encode_nodes(out, msg, spec.nodes)
    except ValueError as exc:  # e.g. a control character or a sub-second duration
        raise CodecError(
            f"cannot encode {msg.message_type}: {exc}",
            m.ResponseCode.INVALID_DATA,
            message_type=msg.message_type,
        ) from None
    out.append(f"</oadr:{msg.message_type}>")
    out.append(_TAIL)
    return "".join(out).encode("utf-8")


def encode(msg: m.OadrMessage) -> bytes:
    """The message as a full oadrPayload document (UTF-8 bytes with XML declaration)."""
    cls = type(msg)
    if cls not in MESSAGE_SPECS:
        raise CodecError(f"not an OpenADR 2.0b message: {cls.__name__}")
    if cls not in _CACHEABLE:
        return _encode(msg)
    key = _key(msg)
    cached = _cache.get(key)
    if cached is None:
        cached = _encode(msg)
        if len(_cache) >= _CACHE_MAX:
            # Oldest first: dicts keep insertion order, so this is FIFO eviction.
            del _cache[next(iter(_cache))]
        _cache[key] = cached
    return cached


def decode(
    xml: bytes | bytearray | memoryview | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    validate: bool = False,
    schema: etree.XMLSchema | None = None,
) -> m.Message:
    """Parse an oadrPayload document into its typed message.

    ``validate=True`` additionally checks the document against the 2.0b XSD (``schema`` or the
    one ``flexcoop.openadr.schema.load_schema()`` finds) and raises CodecError(454) listing
    every schema error.
    """
    root = parse(xml, max_bytes)
    if root.tag != _PAYLOAD:
        raise CodecError(
            f"root element must be oadr:oadrPayload in namespace {NS['oadr']}, got {pretty_tag(root.tag)}"
        )
    # Children by iteration: lxml's find() compiles its path argument on every call.
    signed = next((child for child in root if child.tag == _SIGNED_OBJECT), None)
    if signed is None:
        raise CodecError("oadr:oadrPayload has no oadr:oadrSignedObject")
    payloads = list(signed)
    if len(payloads) != 1:
        raise CodecError(
            f"oadr:oadrSignedObject must hold exactly one payload, found {len(payloads)}"
        )
    body = payloads[0]
    spec = SPECS_BY_TAG.get(body.tag)
    if spec is None:
        raise CodecError(
            f"unknown OpenADR 2.0b payload {pretty_tag(body.tag)}", m.ResponseCode.NOT_RECOGNIZED
        )
    message_type: str = spec.model.message_type
    try:
        if validate:
            from flexcoop.openadr.schema import validate_tree

            validate_tree(root, schema)
        values = decode_spec(body, spec)
        return spec.model.model_validate(values)
    except CodecError as exc:
        exc.message_type = message_type
        exc.request_id = body.findtext(f".//{_REQUEST_ID}")
        raise
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or message_type}: {err['msg']}"
            for err in exc.errors()
        )
        raise CodecError(
            f"invalid {message_type}: {problems}",
            m.ResponseCode.INVALID_DATA,
            message_type=message_type,
            request_id=body.findtext(f".//{_REQUEST_ID}"),
        ) from None
