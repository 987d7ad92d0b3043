"""The demo's materials (flask demo-data): a model contract clause, a good example and the
slides of a workshop, so /materials is not empty. events' demo-data sends
`demo_events_created`; this listens (as participants/demo.py does)."""

from __future__ import annotations

import io
from typing import Any

from events.models import Event
from events.services import demo_events_created
from materials import services

CLAUSE = (
    "Särskilt kontraktsvillkor: sysselsättning\n\n"
    "Leverantören ska under avtalstiden erbjuda anställning eller praktik om minst sex "
    "heltidsmånader till personer som står långt från arbetsmarknaden. Minst en placering ska "
    "ha påbörjats inom sex månader från avtalsstart.\n"
).encode()
EXAMPLE = (
    "Gott exempel: Botkyrka kommun\n\nLokalvård med krav på två praktikplatser; "
    "matchningen sköttes av Arbetsförmedlingen. Tre personer fick anställning.\n"
).encode()
SLIDES = "Bild;Rubrik\n1;Planera\n2;Kartlägga\n3;Analysera\n4;Upphandla\n".encode()


def add_demo_materials(events: list[Event]) -> int:
    owner = events[0].created_by if events else None
    if owner is None:
        return 0
    workshop = next((e for e in events if e.kind == "workshop" and e.status == "published"), None)
    items: list[tuple[dict[str, Any], bytes, str]] = [
        (
            {
                "title": "Modellklausul för sysselsättningskrav (avancerad nivå)",
                "description": "Ett särskilt kontraktsvillkor enligt 17 kap. 1 § LOU att "
                "klistra in i upphandlingsdokumenten.",
                "translations": {
                    "en": {"title": "Model clause for employment requirements (advanced)"},
                    "fi": {
                        "title": "Työllistämisehdon malliehto (edistynyt taso)",
                        "description": "Sopimusehto hankinta-asiakirjoihin.",
                    },
                },  # fmt: skip
                "category": "model",
                "languages": ["sv"],
                "target_groups": ["contracting_authority", "supplier"],
                "tags": ["avtal", "klausul", "upphandling"],
            },
            CLAUSE,
            "Modellklausul sysselsättningskrav.txt",
        ),
        (
            {
                "title": "Gott exempel: lokalvård i Botkyrka",
                "description": "Hur en kommun ställde krav på praktikplatser i upphandlingar "
                "av lokalvård.",
                "translations": {"fi": {"title": "Hyvä esimerkki: siivouspalvelut Botkyrkassa"}},
                "category": "good_example",
                "languages": ["sv"],
                "target_groups": ["contracting_authority", "decision_maker"],
                "tags": ["gott exempel", "lokalvård"],
            },
            EXAMPLE,
            "Gott exempel – Botkyrka.txt",
        ),
    ]
    if workshop is not None:
        items.append(
            (
                {
                    "title": "Bilder från workshoppen: de sex stegen",
                    "description": "Planera, kartlägga, analysera, upphandla, genomföra, förvalta.",
                    "translations": {"fi": {"title": "Työpajan diat: kuusi vaihetta"}},
                    "category": "presentation",
                    "languages": ["sv", "fi"],
                    "target_groups": ["contracting_authority", "matchmaker"],
                    "tags": ["workshop", "bilder"],
                    "events": [workshop.slug],
                },
                SLIDES,
                "Workshop – de sex stegen.csv",
            )
        )
    for data, body, name in items:
        data = {"language": "sv", "audience": {"kind": "public"}, **data}
        services.create_material(owner, data, services.Upload(io.BytesIO(body), name))
    return len(items)


@demo_events_created.connect
def _on_demo_events(_sender: Any, events: list[Event], **_extra: Any) -> None:
    add_demo_materials(events)
