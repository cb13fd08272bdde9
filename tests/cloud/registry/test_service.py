"""RegistryService on SQLite and PostgreSQL: registrations, updates, queries, event log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from flexcoop.cloud.registry.models import DerStatus, DerType, DerUpdate
from flexcoop.cloud.registry.service import (
    DerExists,
    RegistryService,
    UnknownDer,
    VersionConflict,
)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def registry(engine) -> RegistryService:
    return RegistryService(engine, timeout_s=300)


async def _register(reg: RegistryService, der_id: str, **kw) -> None:
    args = {
        "ven_id": "ven-1",
        "der_type": "pv",
        "location_cell": "NL-1234",
        "capabilities": {"max_up_w": 4000},
    } | kw
    await reg.register(der_id, now=T0, **args)


async def test_register_and_get(registry: RegistryService) -> None:
    await _register(registry, "d1", contract_id="c-7")
    der = await registry.get("d1")
    assert der is not None
    assert der.status is DerStatus.ONLINE
    assert der.der_type is DerType.PV
    assert der.last_seen == T0 and der.registered_at == T0
    assert der.contract_id == "c-7" and der.version == 1
    assert [e.kind for e in await registry.events("d1")] == ["registered"]


async def test_duplicate_registration_is_refused_and_changes_nothing(registry) -> None:
    await _register(registry, "d1", capabilities={"a": 1})
    with pytest.raises(DerExists):
        await _register(registry, "d1", capabilities={"a": 2})
    der = await registry.get("d1")
    assert der is not None and der.capabilities == {"a": 1}
    assert len(await registry.events("d1")) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"der_type": "nuclear"},
        {"location_cell": "'; DROP TABLE registry_der; --"},
        {"ven_id": ""},
        {"capabilities": {"blob": "x" * 20_000}},
    ],
)
async def test_malformed_registration_is_refused(registry, bad) -> None:
    with pytest.raises((ValidationError, ValueError)):
        await _register(registry, "d1", **bad)
    assert await registry.get("d1") is None


async def test_update_with_version_check(registry: RegistryService) -> None:
    await _register(registry, "d1")
    der = await registry.update("d1", DerUpdate(contract_id="c-1"), expected_version=1)
    assert der.contract_id == "c-1" and der.version == 2
    with pytest.raises(VersionConflict) as exc:
        await registry.update("d1", DerUpdate(contract_id="c-2"), expected_version=1)
    assert exc.value.current == 2
    again = await registry.get("d1")
    assert again is not None and again.contract_id == "c-1"
    with pytest.raises(UnknownDer):
        await registry.update("nope", DerUpdate(contract_id="c-2"), expected_version=None)
    assert [e.kind for e in await registry.events("d1")] == ["registered", "updated"]


async def test_queries_by_status_type_area_with_pages(registry: RegistryService) -> None:
    for i in range(7):
        await _register(
            registry,
            f"d{i}",
            der_type="pv" if i % 2 else "battery",
            location_cell=f"NL-12{i % 3}",
        )
    assert [d.der_id for d in await registry.find(der_type=DerType.PV)] == ["d1", "d3", "d5"]
    assert [d.der_id for d in await registry.find(area="NL-121")] == ["d1", "d4"]
    assert await registry.find(area="NL-1%") == []  # LIKE wildcards are literal text
    first = await registry.find(limit=3)
    rest = await registry.find(after=first[-1].der_id, limit=10)
    assert [d.der_id for d in first + rest] == [f"d{i}" for i in range(7)]
    assert [d.der_id for d in await registry.find(only=frozenset({"d2", "zz"}))] == ["d2"]
    assert await registry.find(status=DerStatus.TIMED_OUT) == []
    counts = await registry.counts()
    assert counts == {("online", "pv"): 3, ("online", "battery"): 4}


async def test_event_log_is_append_only_and_paged(registry: RegistryService) -> None:
    await _register(registry, "d1")
    for n in range(5):
        await registry.log("d1", "event_received", {"n": n}, T0)
    page = await registry.events("d1", kind="event_received", limit=2)
    more = await registry.events("d1", kind="event_received", after=page[-1].id, limit=10)
    assert [e.data["n"] for e in page + more] == [0, 1, 2, 3, 4]
    with pytest.raises(UnknownDer):
        await registry.log("ghost", "event_received", {})
    with pytest.raises(ValueError, match="kind"):
        await registry.log("d1", "Bad Kind!", {})
    assert len(await registry.events("d1")) == 6
