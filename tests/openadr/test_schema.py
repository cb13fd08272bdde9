"""Finding and using the official 2.0b XSD (shipped by openleadr, never copied into the repo)."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flexcoop.openadr import messages as m
from flexcoop.openadr.codec import CodecError, decode, encode
from flexcoop.openadr.schema import SchemaNotFound, find_schema_dir, load_schema, validate


def test_the_schema_is_found_in_the_installed_openleadr_and_compiled_once() -> None:
    directory = find_schema_dir()
    assert (directory / "oadr_20b.xsd").is_file()
    assert directory.parent.name == "openleadr"
    assert load_schema() is load_schema()


def test_a_schema_directory_can_be_given(tmp_path: Path) -> None:
    copy = tmp_path / "xsd"
    shutil.copytree(find_schema_dir(), copy)
    schema = load_schema(copy)
    assert schema is not load_schema()
    validate(encode(m.OadrPoll(ven_id="v")), schema)


def test_a_directory_without_the_schema_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaNotFound, match=r"oadr_20b\.xsd"):
        load_schema(tmp_path)


def test_schema_errors_are_all_listed() -> None:
    poll = encode(m.OadrPoll(ven_id="v"))
    broken = poll.replace(
        b"<ei:venID>v</ei:venID>", b"<ei:vtnID>v</ei:vtnID><ei:venID>v</ei:venID>"
    )
    with pytest.raises(CodecError) as err:
        validate(broken)
    assert err.value.code == m.ResponseCode.INVALID_DATA
    assert "vtnID" in str(err.value)
    validate(poll)


def test_decoding_from_worker_threads_uses_one_parser_per_thread(
    samples: dict[str, m.OadrMessage],
) -> None:
    docs = [encode(msg) for msg in samples.values()] * 5
    with ThreadPoolExecutor(max_workers=4) as pool:
        decoded = list(pool.map(decode, docs))
    assert decoded == list(samples.values()) * 5
