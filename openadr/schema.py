"""The official OpenADR 2.0b XSD: finding, loading (once) and validating against it.

The XSDs are not copied into this repository: ``load_schema()`` uses the set that ships inside
the openleadr package (``openleadr/schema/oadr_20b.xsd``, found without importing openleadr) or
a directory you give it.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from lxml import etree

from flexcoop.openadr.errors import CodecError
from flexcoop.openadr.messages import ResponseCode
from flexcoop.openadr.safexml import DEFAULT_MAX_BYTES, parse

MAIN_XSD = "oadr_20b.xsd"


class SchemaNotFound(FileNotFoundError):
    """No 2.0b XSD directory was given and none could be found."""


def find_schema_dir() -> Path:
    spec = importlib.util.find_spec("openleadr")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "schema"
            if (candidate / MAIN_XSD).is_file():
                return candidate
    raise SchemaNotFound(
        f"no OpenADR 2.0b XSD found: install openleadr (it ships schema/{MAIN_XSD}) or pass the directory"
    )


@lru_cache(maxsize=4)
def _load(directory: Path) -> etree.XMLSchema:
    path = directory / MAIN_XSD
    if not path.is_file():
        raise SchemaNotFound(f"{path} does not exist")
    # The XSDs import each other by relative path; nothing is fetched from the network.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def load_schema(directory: Path | None = None) -> etree.XMLSchema:
    """The compiled 2.0b schema (cached per directory; compiling takes a few hundred ms)."""
    return _load((directory or find_schema_dir()).resolve())


def validate_tree(root: etree._Element, schema: etree.XMLSchema | None = None) -> None:
    """Raise CodecError(454) listing every schema error of an already parsed document."""
    xsd = schema or load_schema()
    if xsd.validate(root):
        return
    errors = [f"line {e.line}: {e.message}" for e in xsd.error_log]
    raise CodecError("schema errors: " + "; ".join(errors), ResponseCode.INVALID_DATA)


def validate(
    xml: bytes | str, schema: etree.XMLSchema | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Check a document against the 2.0b XSD; raises CodecError (listing the errors) if invalid."""
    validate_tree(parse(xml, max_bytes), schema)
