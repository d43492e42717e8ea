"""Report use cases: resolve the period in the retailer's time zone, read the figures, shape them."""

from __future__ import annotations

from datetime import datetime

from openoffers.kit.db import Database
from openoffers.kit.errors import ValidationFailed
from openoffers.kit.money import to_decimal
from openoffers.reports import figures
from openoffers.reports.period import Period, custom, local_today, parse_day, preset
from openoffers.reports.schemas import (
    DayOut,
    OfferRowOut,
    ReportOut,
    ReportRequest,
    RuleRowOut,
    StoreRowOut,
    SummaryOut,
)
from openoffers.tenancy.repository import Retailer


def resolve_period(
    retailer: Retailer, now: datetime, *, name: str | None, first: str | None, last: str | None
) -> Period:
    """A preset by name, or custom dates; with neither, the last 30 days."""
    if first or last:
        if name:
            raise ValidationFailed("give a range or dates, not both", fields={"range": ["not with from and to"]})
        if not first or not last:
            missing = "from" if not first else "to"
            raise ValidationFailed(f"{missing} is missing", fields={missing: ["required with the other date"]})
        return custom(parse_day(first, "from"), parse_day(last, "to"), retailer.timezone)
    return preset(name or "30d", local_today(now, retailer.timezone), retailer.timezone)


def report_out(retailer: Retailer, report: figures.Report) -> ReportOut:
    e = retailer.exponent
    s = report.summary
    return ReportOut(
        timezone=retailer.timezone,
        currency=retailer.currency,
        from_=report.period.first.isoformat(),
        to=report.period.last.isoformat(),
        summary=SummaryOut(
            issued=s.issued,
            redeemed=s.redeemed,
            redemption_rate_basis_points=s.rate_basis_points,
            discount=to_decimal(s.discount, e),
            checks_with_offer=s.checks,
            revenue_of_checks_with_offer=to_decimal(s.revenue, e),
            points_earned=s.points_earned,
            points_spent=s.points_spent,
            points_expired=s.points_expired,
        ),
        by_offer=[
            OfferRowOut(
                offer_id=o.root_offer_id,
                title=o.title,
                issued=o.issued,
                redeemed=o.redeemed,
                discount=to_decimal(o.discount, e),
            )
            for o in report.offers
        ],
        by_rule=[
            RuleRowOut(
                rule_id=r.rule_id,
                name=r.name,
                issued=r.issued,
                points_earned=r.points_earned,
                points_spent=r.points_spent,
            )
            for r in report.rules
        ],
        by_store=[
            StoreRowOut(
                store_id=st.store_id,
                name=st.name,
                redeemed=st.redeemed,
                discount=to_decimal(st.discount, e),
                checks_with_offer=st.checks,
                revenue_of_checks_with_offer=to_decimal(st.revenue, e),
            )
            for st in report.stores
        ],
        by_day=[DayOut(day=d.isoformat(), issued=i, redeemed=r) for d, i, r in report.days],
    )


async def programme_report(db: Database, retailer: Retailer, request: ReportRequest, now: datetime) -> ReportOut:
    period = resolve_period(retailer, now, name=request.range, first=request.from_, last=request.to)
    return report_out(retailer, await figures.report(db, retailer.id, period))
