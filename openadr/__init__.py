"""OpenADR 2.0b: typed message models, lxml codec with XSD validation, and the flex-offer profile.

Public API::

    from flexcoop.openadr import messages as m        # pydantic v2 models of all 23 payloads
    from flexcoop.openadr.codec import encode, decode, CodecError
    xml: bytes = encode(msg)                           # oadrPayload document, UTF-8, XSD-valid
    msg = decode(xml, max_bytes=1_000_000, validate=False)
    from flexcoop.openadr.schema import load_schema, validate

Modules: ``messages`` (models, enums, item bases), ``isotime`` (ISO 8601 text forms),
``codec`` (entry points, encode cache), ``safexml`` (hardened parsing), ``schema`` (XSD),
``xmlspec`` + ``bindings`` (the declarative XML binding both directions share),
``errors`` (CodecError). XML signatures are out of scope for now (mTLS secures the transport).
"""
