"""Marketplace throughput on a real, migrated database (SQLite file by default).

Timed, through ``ContractService`` (what the REST handlers call):

* whole contract lifecycles one after the other: create with an offer, negotiating,
  counter-offer, agreed, active, ended (6 writes, each an optimistic-concurrency UPDATE);
* transitions with many in flight on different contracts (stateless workers sharing one DB);
* listing pages of 100 contracts with a state filter once ``--contracts`` exist.

    python bench/marketplace.py [--quick] [--contracts 2000] [--in-flight 16] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from flexcoop.benchtools import emit
from flexcoop.cloud.db import make_engine, migrate
from flexcoop.cloud.marketplace.models import (
    ContractCreate,
    ContractQuery,
    Party,
    TermsProposal,
    TransitionRequest,
)
from flexcoop.cloud.marketplace.service import ContractService
from flexcoop.cloud.marketplace.states import ContractState as S
from flexcoop.cloud.marketplace.terms import AvailabilityWindow, Penalties, Terms, Weekday

A, P = Party.AGGREGATOR, Party.PROSUMER
TERMS = Terms(
    max_up_w=3000,
    max_down_w=1500,
    timezone="Europe/Madrid",
    availability=[AvailabilityWindow(weekday=d, start="07:00", end="22:00") for d in Weekday],
    max_activations_per_month=20,
    notice_period_s=3600,
    availability_price_eur_per_kw_month=1.5,
    activation_price_eur_per_kwh=0.25,
    penalties=Penalties(non_delivery_eur_per_kwh=0.1),
)


async def lifecycle(svc: ContractService, i: int) -> None:
    c = await svc.create(
        ContractCreate(
            prosumer_id=f"prosumer-{i}",
            aggregator_id="agg-1",
            der_ids=[f"der-{i}"],
            offer=TermsProposal(proposed_by=A, terms=TERMS),
        )
    )
    await svc.transition(c.id, TransitionRequest(to=S.NEGOTIATING, by=P))
    counter = TERMS.model_copy(update={"activation_price_eur_per_kwh": 0.3})
    await svc.propose_terms(c.id, TermsProposal(proposed_by=P, terms=counter))
    await svc.transition(c.id, TransitionRequest(to=S.AGREED, by=A))
    await svc.transition(c.id, TransitionRequest(to=S.ACTIVE, by=A))
    await svc.transition(c.id, TransitionRequest(to=S.ENDED, by=P))


async def run(url: str, contracts: int, in_flight: int, backend: str) -> None:
    await migrate(url)
    engine = make_engine(url)
    svc = ContractService(engine)
    try:
        n_seq = max(1, contracts // 10)
        t0 = time.perf_counter()
        for i in range(n_seq):
            await lifecycle(svc, i)
        dt = time.perf_counter() - t0
        emit("marketplace_lifecycles_sequential", n_seq / dt, "lifecycles/s", n_seq, db=backend)
        emit("marketplace_writes_sequential", 6 * n_seq / dt, "writes/s", 6 * n_seq, db=backend)

        drafts = []
        for i in range(contracts):
            drafts.append(
                await svc.create(
                    ContractCreate(prosumer_id=f"p-{i}", aggregator_id="agg-2", der_ids=[f"d-{i}"])
                )
            )
        sem = asyncio.Semaphore(in_flight)

        async def step(cid: str) -> None:
            async with sem:
                await svc.transition(cid, TransitionRequest(to=S.NEGOTIATING, by=A))

        t0 = time.perf_counter()
        await asyncio.gather(*(step(c.id) for c in drafts))
        dt = time.perf_counter() - t0
        emit(
            "marketplace_transitions_concurrent",
            len(drafts) / dt,
            "transitions/s",
            len(drafts),
            db=backend,
            in_flight=in_flight,
        )

        pages = 0
        after = None
        t0 = time.perf_counter()
        while batch := await svc.find(ContractQuery(state=[S.NEGOTIATING]), after=after, limit=100):
            pages += 1
            after = (batch[-1].created_at, batch[-1].id)
        dt = time.perf_counter() - t0
        emit(
            "marketplace_list_page", 1000 * dt / pages, "ms/page", pages, db=backend, page_size=100
        )
    finally:
        await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds: smoke run")
    ap.add_argument("--contracts", type=int, default=2000)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    contracts = 50 if args.quick else args.contracts
    if args.db:
        backend = args.db.split(":", 1)[0]
        asyncio.run(run(args.db, contracts, args.in_flight, backend))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        asyncio.run(run(url, contracts, args.in_flight, "sqlite"))


if __name__ == "__main__":
    main()
