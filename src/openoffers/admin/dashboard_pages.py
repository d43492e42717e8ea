"""The admin's home: the programme dashboard for a date range, its tables as CSV, and the exports page
(redemptions, transactions, customers with balances, the points ledger) streamed as CSV.

The figures come from `reports` (the same as the API's /api/2.0/reports/programme); this module only
reads the range from the address, draws and renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import get
from litestar.params import FromPath
from litestar.response import Response, Stream
from markupsafe import Markup

from openoffers.admin import describe
from openoffers.admin.charts import activity_chart
from openoffers.admin.web import PAGE_HEADERS, Admin, Req, render, require_admin
from openoffers.context import context
from openoffers.kit.errors import NotFound, ValidationFailed
from openoffers.kit.money import to_decimal
from openoffers.reports import exports, figures
from openoffers.reports.csv_stream import Cell, csv_bytes, money_text
from openoffers.reports.period import PRESETS, Period
from openoffers.reports.service import resolve_period

DEFAULT_RANGE = "30d"


def _period(request: Req, admin: Admin) -> tuple[Period, str, dict[str, str], str]:
    """The period the address asks for, the preset chosen ("" for custom dates), the query that
    repeats it, and a problem to show (then the default range is used instead)."""
    params = request.query_params
    name, first, last = params.get("range") or "", params.get("from") or "", params.get("to") or ""
    now = context(request).clock()
    if first or last:
        name = ""
    try:
        period = resolve_period(admin.retailer, now, name=name or None, first=first or None, last=last or None)
    except ValidationFailed as error:
        problems = [f"{field}: {', '.join(p)}" for field, p in (error.fields or {}).items()]
        period = resolve_period(admin.retailer, now, name=DEFAULT_RANGE, first=None, last=None)
        return period, DEFAULT_RANGE, {"range": DEFAULT_RANGE}, "; ".join(problems) or error.message
    query = {"from": first, "to": last} if not name and first else {"range": name or DEFAULT_RANGE}
    return period, "" if first else (name or DEFAULT_RANGE), query, ""


def _money(admin: Admin) -> Any:
    exponent, currency = admin.retailer.exponent, admin.retailer.currency
    return lambda minor: describe.money(to_decimal(minor, exponent), currency)


@get("/dashboard", include_in_schema=False)
async def dashboard(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    period, chosen, query, problem = _period(request, admin)
    report = await figures.report(context(request).db, admin.retailer.id, period)
    chart = activity_chart(
        report.days,
        width=640,
        chart_id="programme",
        title="Issued and redeemed per day",
        empty_text="Nothing issued or redeemed in this range",
    )
    return render(
        "dashboard.html",
        admin=admin,
        report=report,
        s=report.summary,
        rate=figures.rate_text(report.summary.rate_basis_points),
        chart=Markup(chart),  # every text in it is escaped by `charts`
        presets=list(PRESETS.items()),
        chosen=chosen,
        query=query,
        problem=problem,
        amount=_money(admin),
    )


def _table(report: figures.Report, name: str, admin: Admin) -> tuple[Sequence[str], list[Sequence[Cell]]]:
    e = admin.retailer.exponent

    def money(minor: int) -> str:
        return money_text(minor, e)

    if name == "offers":
        return ("offer_id", "title", "issued", "redeemed", "discount"), [
            (str(o.root_offer_id), o.title, o.issued, o.redeemed, money(o.discount)) for o in report.offers
        ]
    if name == "rules":
        return ("rule_id", "name", "issued", "points_earned", "points_spent"), [
            (str(r.rule_id), r.name, r.issued, r.points_earned, r.points_spent) for r in report.rules
        ]
    if name == "stores":
        return ("store_id", "name", "redeemed", "discount", "checks_with_offer", "revenue_of_checks_with_offer"), [
            (str(st.store_id), st.name, st.redeemed, money(st.discount), st.checks, money(st.revenue))
            for st in report.stores
        ]
    if name == "days":
        return ("day", "issued", "redeemed"), [(d.isoformat(), i, r) for d, i, r in report.days]
    raise NotFound("no such table")


def _csv_headers(filename: str) -> dict[str, str]:
    return {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}


@get("/dashboard/csv/{table:str}", include_in_schema=False)
async def dashboard_csv(request: Req, table: FromPath[str]) -> Response[bytes]:
    admin = await require_admin(request)
    period, _chosen, _query, problem = _period(request, admin)
    if problem:
        raise ValidationFailed(f"That range cannot be used: {problem}.")
    header, rows = _table(await figures.report(context(request).db, admin.retailer.id, period), table, admin)
    name = f"{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(csv_bytes(header, rows), media_type="text/csv", headers=_csv_headers(name))


@get("/exports", include_in_schema=False)
async def exports_page(request: Req) -> Response[Any]:
    admin = await require_admin(request)
    period, chosen, query, problem = _period(request, admin)
    return render(
        "exports.html",
        admin=admin,
        period=period,
        presets=list(PRESETS.items()),
        chosen=chosen,
        query=query,
        problem=problem,
        exports=list(exports.EXPORTS.values()),
    )


@get("/exports/csv/{name:str}", include_in_schema=False)
async def export_csv(request: Req, name: FromPath[str]) -> Stream:
    admin = await require_admin(request)
    export = exports.EXPORTS.get(name)
    if export is None:
        raise NotFound("no such export")
    period, _chosen, _query, problem = _period(request, admin)
    if problem and export.needs_period:
        raise ValidationFailed(f"That range cannot be used: {problem}.")
    db = context(request).db
    retailer = admin.retailer
    reader = await exports.reader_for(db, retailer.id, retailer.timezone, retailer.exponent)
    suffix = f"-{period.first.isoformat()}-{period.last.isoformat()}" if export.needs_period else ""
    return Stream(
        exports.stream(db, export, reader, retailer.id, period),
        media_type="text/csv",
        headers=_csv_headers(f"{name}{suffix}.csv"),
    )


ROUTES = [dashboard, dashboard_csv, exports_page, export_csv]
