"""A small declarative XML binding: each model is described once, as a tree of nodes, and the
same description drives both encoding (model → markup text, in XSD sequence order) and
decoding (elements → plain dict, validated by pydantic in one pass at the top).

Node kinds:
- ``Leaf``: a text element (possibly under wrapper elements, ``path``) holding one field;
- ``Wrap``: a container element whose children map onto fields of the *same* model;
- ``Child``: an element holding a nested model (``Spec``);
- ``Const``: an element that is always empty (``xcal:components``);
- ``Custom``: hand-written encode/decode for substitution groups and choices.

Encoding writes markup text directly (every tag's ``prefix:local`` form is known up front)
rather than building an lxml tree: it is several times faster, and well-formedness is kept by
escaping every text value and refusing characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from lxml import etree
from pydantic import BaseModel

from flexcoop.openadr.errors import CodecError
from flexcoop.openadr.isotime import (
    format_datetime,
    format_duration,
    parse_datetime,
    parse_duration,
)
from flexcoop.openadr.messages import ResponseCode

NS = {
    "oadr": "http://openadr.org/oadr-2.0b/2012/07",
    "ei": "http://docs.oasis-open.org/ns/energyinterop/201110",
    "pyld": "http://docs.oasis-open.org/ns/energyinterop/201110/payloads",
    "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
    "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
    "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream",
    "power": "http://docs.oasis-open.org/ns/emix/2011/06/power",
    "scale": "http://docs.oasis-open.org/ns/emix/2011/06/siscale",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
_PREFIX = {uri: prefix for prefix, uri in NS.items()}


def q(prefix: str, local: str) -> str:
    """Clark name ``{uri}local``, computed once at import for every tag we use."""
    return f"{{{NS[prefix]}}}{local}"


def prefixed(tag: str) -> str:
    """``{uri}local`` → ``prefix:local`` for one of our namespaces (used to write markup)."""
    uri, _, local = tag[1:].partition("}")
    return f"{_PREFIX[uri]}:{local}"


def pretty_tag(tag: str) -> str:
    """``{uri}local`` → ``prefix:local`` for error messages."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return f"{_PREFIX.get(uri, uri)}:{local}"
    return tag


def where(el: etree._Element) -> str:
    parts = []
    node: etree._Element | None = el
    while node is not None:
        parts.append(pretty_tag(node.tag).split(":")[-1])
        node = node.getparent()
    return "/".join(reversed(parts))


class Kind(Enum):
    TEXT = "text"  # xs:string: kept verbatim
    TOKEN = "token"  # enumerations and other collapsed tokens
    INT = "int"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATETIME = "datetime"
    DURATION = "duration"


def _fmt_float(value: float) -> str:
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "INF" if v > 0 else "-INF"
    return repr(v)


def _fmt_decimal(value: float) -> str:
    # xs:decimal has no exponent form, so 1e-07 must be written out.
    return format(Decimal(repr(float(value))), "f")


# XML 1.0 cannot carry these at all (not even as character references).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text content → markup. ``\r`` becomes a reference, or parsers would turn it into ``\n``."""
    if _NOT_XML.search(text):
        raise ValueError(
            f"{text!r} holds characters XML 1.0 cannot carry (NUL, control characters)"
        )
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def format_value(kind: Kind, value: Any) -> str:
    """A field value → escaped element content."""
    if kind is Kind.TEXT:
        return escape(str(value))
    if kind is Kind.TOKEN:
        return escape(value.value if isinstance(value, Enum) else str(value))
    if kind is Kind.INT:
        return str(int(value))
    if kind is Kind.FLOAT:
        return _fmt_float(value)
    if kind is Kind.DECIMAL:
        return _fmt_decimal(value)
    if kind is Kind.BOOL:
        return "true" if value else "false"
    if kind is Kind.DATETIME:
        assert isinstance(value, datetime)
        return format_datetime(value)
    assert isinstance(value, timedelta)
    return format_duration(value)


def parse_value(kind: Kind, text: str | None, el: etree._Element) -> Any:
    """Element text → a value pydantic accepts (numbers and booleans stay strings: pydantic's
    lax mode converts them and reports errors with the field location)."""
    if kind is Kind.TEXT:
        return text or ""
    raw = (text or "").strip()
    try:
        if kind is Kind.DATETIME:
            return parse_datetime(raw)
        if kind is Kind.DURATION:
            return parse_duration(raw)
    except ValueError as exc:
        raise CodecError(f"{where(el)}: {exc}", ResponseCode.INVALID_DATA) from None
    return raw


def _open(tags: tuple[str, ...]) -> str:
    return "".join(f"<{prefixed(t)}>" for t in tags)


def _close(tags: tuple[str, ...]) -> str:
    return "".join(f"</{prefixed(t)}>" for t in reversed(tags))


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    path: tuple[str, ...]
    kind: Kind = Kind.TEXT
    optional: bool = False
    many: bool = False  # one path per list item
    open: str = _field(init=False, default="")
    close: str = _field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "open", _open(self.path))
        object.__setattr__(self, "close", _close(self.path))


@dataclass(frozen=True, slots=True)
class Wrap:
    tag: str
    children: tuple[Node, ...]
    optional: bool = False  # omitted when every field below it is None or an empty list
    fields: tuple[str, ...] = _field(init=False, default=())
    open: str = _field(init=False, default="")
    close: str = _field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "open", _open((self.tag,)))
        object.__setattr__(self, "close", _close((self.tag,)))
        names: list[str] = []
        for child in self.children:
            if isinstance(child, Wrap):
                names.extend(child.fields)
            elif not isinstance(child, Const):
                names.append(child.field)
        object.__setattr__(self, "fields", tuple(names))


@dataclass(frozen=True, slots=True)
class Child:
    field: str
    tag: str
    spec: Spec
    optional: bool = False
    many: bool = False
    open: str = _field(init=False, default="")
    close: str = _field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "open", _open((self.tag,)))
        object.__setattr__(self, "close", _close((self.tag,)))


@dataclass(frozen=True, slots=True)
class Const:
    tag: str
    empty: str = _field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "empty", f"<{prefixed(self.tag)}/>")


MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Custom:
    field: str
    encode: Callable[[list[str], Any], None]  # appends the value's markup
    decode: Callable[[etree._Element], Any]  # reads from the parent; MISSING when absent
    optional: bool = False


Node = Leaf | Wrap | Child | Const | Custom


@dataclass(frozen=True, slots=True)
class Spec:
    model: type[BaseModel]
    nodes: tuple[Node, ...]
    # The nodes compiled into one closure per node (see _compile): decoding is then plain
    # calls and dict look-ups, with no per-element dispatch on node types.
    decoder: Callable[[etree._Element, dict[str, Any]], None] = _field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", _compile(self.nodes))


# --------------------------------------------------------------------------- encoding


def _absent(value: Any) -> bool:
    return value is None or (type(value) is list and not value)


def encode_nodes(out: list[str], obj: Any, nodes: tuple[Node, ...]) -> None:
    """Append the markup of ``obj``'s fields, in node (= XSD sequence) order, to ``out``."""
    append = out.append
    for node in nodes:
        kind = type(node)
        if kind is Leaf:
            assert isinstance(node, Leaf)
            value = getattr(obj, node.field)
            if value is None:
                continue
            for item in value if node.many else (value,):
                append(node.open)
                append(format_value(node.kind, item))
                append(node.close)
        elif kind is Child:
            assert isinstance(node, Child)
            value = getattr(obj, node.field)
            if value is None:
                continue
            for item in value if node.many else (value,):
                append(node.open)
                encode_nodes(out, item, node.spec.nodes)
                append(node.close)
        elif kind is Wrap:
            assert isinstance(node, Wrap)
            if node.optional and all(_absent(getattr(obj, name)) for name in node.fields):
                continue
            append(node.open)
            encode_nodes(out, obj, node.children)
            append(node.close)
        elif kind is Const:
            assert isinstance(node, Const)
            append(node.empty)
        else:
            assert isinstance(node, Custom)
            value = getattr(obj, node.field)
            if value is not None:
                node.encode(out, value)


# --------------------------------------------------------------------------- decoding


def _missing(parent: etree._Element, tag: str) -> CodecError:
    return CodecError(
        f"{where(parent)}: missing element {pretty_tag(tag)}", ResponseCode.INVALID_DATA
    )


def _index(el: etree._Element) -> dict[str, list[etree._Element]]:
    """Children by tag, built in one pass: lxml's find() re-parses its path on every call."""
    index: dict[str, list[etree._Element]] = {}
    for child in el:
        bucket = index.get(child.tag)
        if bucket is None:
            index[child.tag] = [child]
        else:
            bucket.append(child)
    return index


def _first(el: etree._Element, tag: str) -> etree._Element | None:
    for child in el:
        if child.tag == tag:
            return child
    return None


def _descend(el: etree._Element | None, path: tuple[str, ...]) -> etree._Element | None:
    if not path:
        return el
    for tag in path:
        if el is None:
            return None
        el = _first(el, tag)
    return el


_NONE: list[etree._Element] = []
_Step = Callable[[dict[str, list[etree._Element]], etree._Element, dict[str, Any]], None]


def _compile(nodes: tuple[Node, ...]) -> Callable[[etree._Element, dict[str, Any]], None]:
    steps = [_compile_node(node) for node in nodes if not isinstance(node, Const)]

    def run(el: etree._Element, out: dict[str, Any]) -> None:
        index = _index(el)
        for step in steps:
            step(index, el, out)

    return run


def _compile_node(node: Node) -> _Step:
    if isinstance(node, Leaf):
        return _compile_leaf(node)
    if isinstance(node, Child):
        return _compile_child(node)
    if isinstance(node, Wrap):
        return _compile_wrap(node)
    assert isinstance(node, Custom)
    return _compile_custom(node)


def _compile_leaf(node: Leaf) -> _Step:
    head, tail, name, kind, optional = (
        node.path[0],
        node.path[1:],
        node.field,
        node.kind,
        node.optional,
    )

    if node.many:

        def many(
            index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
        ) -> None:
            items = []
            for first in index.get(head, _NONE):
                leaf = _descend(first, tail)
                if leaf is None:
                    raise _missing(first, node.path[-1])
                items.append(parse_value(kind, leaf.text, leaf))
            out[name] = items

        return many

    verbatim = kind is Kind.TEXT
    token = kind not in (Kind.TEXT, Kind.DATETIME, Kind.DURATION)

    def one(
        index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
    ) -> None:
        # The hottest loop of decoding (every interval value, duration, uid): kept inline.
        found = index.get(head)
        leaf: etree._Element | None = found[0] if found else None
        for tag in tail:
            if leaf is None:
                break
            for child in leaf:
                if child.tag == tag:
                    leaf = child
                    break
            else:
                leaf = None
        if leaf is None:
            if optional:
                return
            raise _missing(el, "/".join(pretty_tag(t) for t in node.path))
        text = leaf.text
        if verbatim:
            out[name] = text or ""
        elif token:
            out[name] = (text or "").strip()
        else:
            out[name] = parse_value(kind, text, leaf)

    return one


def _compile_child(node: Child) -> _Step:
    tag, name, optional, decoder = node.tag, node.field, node.optional, node.spec.decoder

    def decode_one(child: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        decoder(child, values)
        return values

    if node.many:

        def many(
            index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
        ) -> None:
            out[name] = [decode_one(child) for child in index.get(tag, _NONE)]

        return many

    def one(
        index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
    ) -> None:
        found = index.get(tag)
        if not found:
            if optional:
                return
            raise _missing(el, tag)
        out[name] = decode_one(found[0])

    return one


def _compile_wrap(node: Wrap) -> _Step:
    tag, optional, inner = node.tag, node.optional, _compile(node.children)

    def wrap(
        index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
    ) -> None:
        found = index.get(tag)
        if not found:
            if optional:
                return
            raise _missing(el, tag)
        inner(found[0], out)

    return wrap


def _compile_custom(node: Custom) -> _Step:
    name, optional, decode = node.field, node.optional, node.decode

    def custom(
        index: dict[str, list[etree._Element]], el: etree._Element, out: dict[str, Any]
    ) -> None:
        value = decode(el)
        if value is MISSING:
            if optional:
                return
            raise CodecError(f"{where(el)}: missing {name}", ResponseCode.INVALID_DATA)
        out[name] = value

    return custom


def decode_spec(el: etree._Element, spec: Spec) -> dict[str, Any]:
    """The fields ``spec`` finds in ``el``, as a plain dict for ``spec.model.model_validate``."""
    out: dict[str, Any] = {}
    spec.decoder(el, out)
    return out
