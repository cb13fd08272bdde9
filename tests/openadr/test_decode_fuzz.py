"""Mangled documents never crash the decoder: every outcome is a message or a CodecError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode

junk = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=12)


def mangle(draw: st.DataObject, doc: bytes) -> bytes:
    root = etree.fromstring(doc)
    elements = list(root.iter())
    for _ in range(draw.draw(st.integers(1, 4))):
        el = draw.draw(st.sampled_from(elements))
        action = draw.draw(st.sampled_from(["delete", "text", "duplicate", "rename"]))
        parent = el.getparent()
        if action == "delete" and parent is not None:
            parent.remove(el)
            elements = list(root.iter())
        elif action == "text":
            el.text = draw.draw(junk)
        elif action == "duplicate" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(el)))
            elements = list(root.iter())
        elif action == "rename":
            el.tag = "{urn:junk}" + draw.draw(st.sampled_from(["a", "venID", "interval"]))
    return etree.tostring(root)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_documents_decode_or_raise_codec_error(
    samples: dict[str, m.OadrMessage], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(samples)))
    doc = mangle(data, encode(samples[name]))
    try:
        msg = decode(doc)
    except CodecError as exc:
        assert 400 <= exc.code <= 499
        assert str(exc)
    else:
        assert isinstance(msg, m.OadrMessage)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_decode_or_raise_codec_error(doc: bytes | str) -> None:
    try:
        decode(doc)
    except CodecError as exc:
        assert exc.code == 400
