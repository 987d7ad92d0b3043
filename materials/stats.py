"""Downloads of the materials an organiser manages: by target group, by event, by kind of
organisation (the Swedish organisation number's first digit, DOMAIN.md) and by month, as
charts with their tables and as CSV. A public download has no registration: it counts in the
totals and over time, under "without a manage link" elsewhere."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.charts import Chart, Series
from core.db import db
from core.models import Organiser
from core.spreadsheets import to_csv
from events.labels import TARGET_GROUP_LABELS
from events.models import Event
from materials.audience import manages
from materials.content import material_text
from materials.models import Material, MaterialDownload
from participants.models import Organisation, Registration

ORGANISATION_KINDS = {
    "2": _l("Municipalities, regions and state agencies"),
    "5": _l("Limited companies"),
    "7": _l("Economic associations"),
    "8": _l("Non-profit associations and foundations"),
    "9": _l("Partnerships"),
}
PUBLIC = _l("Without a manage link")
UNKNOWN = _l("Not known")


@dataclass
class Download:
    material: str
    month: str  # 2026-05
    target_group: str
    event: str
    organisation_kind: str


def organisation_kind(number: str | None, country: str | None) -> str:
    if not number:
        return str(UNKNOWN)
    if country == "FI":
        return _("Finnish organisations")
    digit = number.strip()[:1]
    return str(ORGANISATION_KINDS.get(digit, UNKNOWN))


def downloads(organiser: Organiser) -> list[Download]:
    query = (
        sa.select(
            MaterialDownload.downloaded_at,
            Material,
            Registration.target_group,
            Event.title,
            Organisation.org_number,
            Organisation.country,
        )
        .join(Material, Material.id == MaterialDownload.material_id)
        .outerjoin(Registration, Registration.id == MaterialDownload.registration_id)
        .outerjoin(Event, Event.id == Registration.event_id)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(manages(organiser))
        .order_by(MaterialDownload.downloaded_at)
    )
    found = []
    for at, material, group, event, number, country in db.session.execute(query):
        public = group is None
        found.append(
            Download(
                material=str(material_text(material, "title")),
                month=_month(at),
                target_group=str(PUBLIC if public else TARGET_GROUP_LABELS.get(group, group)),
                event=str(PUBLIC) if public else event or "",
                organisation_kind=str(PUBLIC) if public else organisation_kind(number, country),
            )
        )
    return found


def _month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _chart(chart_id: str, title: Any, heading: Any, counts: Counter, kind: str = "hbar") -> Chart:
    labels = sorted(counts) if kind == "line" else [k for k, _n in counts.most_common()]
    return Chart(
        id=chart_id,
        title=str(title),
        description=_("Downloads in all: %(num)s.", num=sum(counts.values())),
        kind=kind,
        labels=labels,
        series=[Series(_("Downloads"), [counts[k] for k in labels])],
        label_heading=str(heading),
    )


def charts(found: list[Download]) -> list[Chart]:
    if not found:
        return []
    return [
        _chart("chart-materials", _l("Downloads by material"), _l("Material"),
               Counter(d.material for d in found)),
        _chart("chart-target-groups", _l("Downloads by target group"), _l("Target group"),
               Counter(d.target_group for d in found)),
        _chart("chart-events", _l("Downloads by event"), _l("Event"),
               Counter(d.event for d in found)),
        _chart("chart-organisations", _l("Downloads by kind of organisation"),
               _l("Kind of organisation"), Counter(d.organisation_kind for d in found)),
        _chart("chart-months", _l("Downloads by month"), _l("Month"),
               Counter(d.month for d in found), kind="bar"),
    ]  # fmt: skip


def csv_text(found: list[Download], sep: str = ";") -> str:
    """One row per material, month, target group, event and kind of organisation."""
    counts = Counter(
        (d.material, d.month, d.target_group, d.event, d.organisation_kind) for d in found
    )
    headers = [_("Material"), _("Month"), _("Target group"), _("Event"),
               _("Kind of organisation"), _("Downloads")]  # fmt: skip
    return to_csv(headers, [[*key, n] for key, n in sorted(counts.items())], sep)
