"""Portal front page at ``/``: a server-rendered overview of the DER registry.

Counts only, no ids: the page needs no token, and aggregate figures reveal nobody.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from flexcoop.cloud.app import CONTEXT, CloudContext
from flexcoop.cloud.registry.models import DerStatus

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flexcoop cloud</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .8rem;text-align:right}}th:first-child{{text-align:left}}</style>
</head><body>
<h1>flexcoop cloud</h1>
<h2>DER registry</h2>
<p>{total} DERs: {online} online, {timed_out} timed out.</p>
<table><thead><tr><th>type</th><th>online</th><th>timed out</th></tr></thead>
<tbody>{rows}</tbody></table>
<p><a href="/api/v1/openapi.json">REST API (OpenAPI)</a></p>
</body></html>
"""


async def overview(request: web.Request) -> web.Response:
    ctx: CloudContext = request.app[CONTEXT]
    counts = await ctx.registry.counts()
    types = sorted({t for _, t in counts})
    by = {s: sum(n for (st, _), n in counts.items() if st == s.value) for s in DerStatus}
    rows = "".join(
        f"<tr><th>{escape(t)}</th><td>{counts.get((DerStatus.ONLINE.value, t), 0)}</td>"
        f"<td>{counts.get((DerStatus.TIMED_OUT.value, t), 0)}</td></tr>"
        for t in types
    )
    html = PAGE.format(
        total=sum(counts.values()),
        online=by[DerStatus.ONLINE],
        timed_out=by[DerStatus.TIMED_OUT],
        rows=rows,
    )
    return web.Response(text=html, content_type="text/html")


def setup(app: web.Application, ctx: CloudContext) -> None:
    app.router.add_get("/", overview)
