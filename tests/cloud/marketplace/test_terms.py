"""Terms are schema-validated; every error names the field."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from flexcoop.cloud.marketplace.models import ContractCreate, TransitionRequest
from flexcoop.cloud.marketplace.terms import Terms

from .conftest import make_terms


def _terms_dict(**changes: Any) -> dict[str, Any]:
    data = make_terms().model_dump(mode="json")
    data.update(changes)
    return data


def _error_locs(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]


def test_valid_terms_round_trip_through_json() -> None:
    terms = make_terms()
    assert Terms.model_validate_json(terms.model_dump_json()) == terms


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        ({"max_up_w": -1}, "max_up_w", "greater than or equal to 0"),
        ({"max_down_w": 1e9}, "max_down_w", "less than or equal"),
        ({"max_up_w": 0, "max_down_w": 0}, "", "nothing to contract"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"availability": []}, "availability", "at least 1"),
        (
            {"availability": [{"weekday": "mon", "start": "10:00", "end": "09:00"}]},
            "availability.0",
            "must be after start",
        ),
        (
            {"availability": [{"weekday": "mon", "start": "7:00", "end": "09:00"}]},
            "availability.0.start",
            "should match pattern",
        ),
        (
            {"availability": [{"weekday": "funday", "start": "07:00", "end": "09:00"}]},
            "availability.0.weekday",
            "Input should be",
        ),
        (
            {
                "availability": [
                    {"weekday": "sat", "start": "07:00", "end": "12:00"},
                    {"weekday": "sat", "start": "11:00", "end": "24:00"},
                ]
            },
            "availability",
            "overlap on sat",
        ),
        ({"max_activations_per_month": 10_000}, "max_activations_per_month", "less than"),
        ({"notice_period_s": -5}, "notice_period_s", "greater than"),
        ({"activation_price_eur_per_kwh": float("nan")}, "activation_price_eur_per_kwh", "finite"),
        (
            {"penalties": {"tolerance_pct": 5}},
            "penalties.non_delivery_eur_per_kwh",
            "Field required",
        ),
        ({"price_per_kw": 3}, "price_per_kw", "Extra inputs"),
    ],
)
def test_invalid_terms_name_the_field(changes: dict[str, Any], loc: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Terms.model_validate(_terms_dict(**changes))
    problems = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in err.value.errors()]
    assert any(where == loc and message in msg for where, msg in problems), problems


def test_midnight_end_and_adjacent_windows_are_fine() -> None:
    terms = Terms.model_validate(
        _terms_dict(
            availability=[
                {"weekday": "sun", "start": "00:00", "end": "12:00"},
                {"weekday": "sun", "start": "12:00", "end": "24:00"},
            ]
        )
    )
    assert [w.end for w in terms.availability] == ["12:00", "24:00"]


@pytest.mark.parametrize("prosumer_id", ["Jan Jansen", "jan@example.org", "", "x" * 200])
def test_prosumer_must_be_pseudonymous(prosumer_id: str) -> None:
    with pytest.raises(ValidationError) as err:
        ContractCreate.model_validate({"prosumer_id": prosumer_id, "aggregator_id": "agg-1"})
    assert _error_locs(err.value) == ["prosumer_id"]


def test_der_ids_validated_and_unique() -> None:
    with pytest.raises(ValidationError) as err:
        ContractCreate.model_validate(
            {"prosumer_id": "p-1", "aggregator_id": "a-1", "der_ids": ["der-1", "bad id"]}
        )
    assert _error_locs(err.value) == ["der_ids.1"]
    with pytest.raises(ValidationError, match="repeat"):
        ContractCreate.model_validate(
            {"prosumer_id": "p-1", "aggregator_id": "a-1", "der_ids": ["der-1", "der-1"]}
        )


def test_terms_version_only_when_agreeing() -> None:
    with pytest.raises(ValidationError, match="terms_version applies only"):
        TransitionRequest.model_validate({"to": "active", "by": "prosumer", "terms_version": 2})


def test_availability_in_utc_follows_local_wall_clock() -> None:
    terms = make_terms()  # Mon–Fri 07:00–22:00 Europe/Madrid
    week = (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    intervals = terms.available_intervals(*week)
    assert intervals == [
        # Friday in winter time (UTC+1) …
        (datetime(2026, 3, 27, 6, tzinfo=UTC), datetime(2026, 3, 27, 21, tzinfo=UTC)),
        # … Monday and Tuesday after the switch to summer time (UTC+2).
        (datetime(2026, 3, 30, 5, tzinfo=UTC), datetime(2026, 3, 30, 20, tzinfo=UTC)),
        (datetime(2026, 3, 31, 5, tzinfo=UTC), datetime(2026, 3, 31, 20, tzinfo=UTC)),
    ]
    assert terms.covers(
        datetime(2026, 3, 30, 12, tzinfo=UTC), datetime(2026, 3, 30, 13, tzinfo=UTC)
    )
    assert not terms.covers(
        datetime(2026, 3, 30, 19, tzinfo=UTC), datetime(2026, 3, 30, 21, tzinfo=UTC)
    )
    assert not terms.covers(
        datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 28, 13, tzinfo=UTC)
    )


def test_whole_day_windows_merge_and_last_23_hours_on_spring_forward() -> None:
    terms = Terms.model_validate(
        _terms_dict(
            availability=[
                {"weekday": "sat", "start": "00:00", "end": "24:00"},
                {"weekday": "sun", "start": "00:00", "end": "24:00"},
            ]
        )
    )
    ((a, b),) = terms.available_intervals(
        datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert a == datetime(2026, 3, 27, 23, tzinfo=UTC)  # Saturday 00:00 CET
    assert b == datetime(2026, 3, 29, 22, tzinfo=UTC)  # Monday 00:00 CEST
    assert (b - a).total_seconds() == (24 + 23) * 3600
