"""The demo events' titles and descriptions in the other two languages (events/cli.py
demo-data), keyed by the event's or the session's own title, so that a visitor reading the
pages in Swedish, English or Finnish sees the demo in that language."""

from __future__ import annotations

from typing import Any

Texts = dict[str, dict[str, str]]  # {"en": {"title": …, "description": …}, "fi": {…}}

EVENTS: dict[str, Texts] = {
    "Sysselsättningskrav i offentlig upphandling – nationell konferens": {
        "en": {
            "title": "Employment requirements in public procurement – national conference",
            "description": (
                "Two days on how contracting organisations use **employment requirements** so "
                "that more newly arrived migrants and long-term unemployed people get a job or "
                "an internship in publicly procured contracts.\n\n"
                "We go through the National Agency for Public Procurement's model in six steps "
                "– plan, map, analyse, procure, implement and manage – and the three levels of "
                "its criteria service: basic, advanced and spearhead.\n\n"
                "- Legal basis: special contract-performance conditions, Chapter 17, Section 1 "
                "of the Public Procurement Act (LOU)\n"
                "- The role of matchmakers: the Swedish Public Employment Service "
                "(Arbetsförmedlingen) and the municipalities' labour-market units\n"
                "- Follow-up: placements, full-time months and the breakdown by gender\n\n"
                "The conference is part of an ESF-funded transnational project with partners "
                "in Sweden and Finland."
            ),
        },
        "fi": {
            "title": "Työllistämisehto julkisissa hankinnoissa – kansallinen konferenssi",
            "description": (
                "Kaksipäiväinen konferenssi siitä, miten hankintayksiköt käyttävät "
                "**työllistämisehtoa**, jotta yhä useampi äskettäin maahan muuttanut ja pitkään "
                "työttömänä ollut saisi työ- tai harjoittelupaikan julkisesti hankituissa "
                "sopimuksissa.\n\n"
                "Käymme läpi Ruotsin julkisten hankintojen viraston (Upphandlingsmyndigheten) "
                "kuusivaiheisen mallin – suunnittelu, kartoitus, analyysi, hankinta, toteutus "
                "ja hallinnointi – sekä viraston kriteeripalvelun kolme tasoa: perustaso, "
                "edistynyt taso ja kärkitaso.\n\n"
                "- Oikeusperusta: sopimuksen toteuttamista koskevat erityisehdot, Ruotsin "
                "hankintalain (LOU) 17 luvun 1 §\n"
                "- Työnvälittäjien rooli: Ruotsin julkinen työnvälitys (Arbetsförmedlingen) ja "
                "kuntien työllisyyspalvelut\n"
                "- Seuranta: työ- ja harjoittelupaikat, kokoaikaiset työkuukaudet ja "
                "sukupuolijakauma\n\n"
                "Konferenssi järjestetään osana ESR-rahoitteista ylikansallista hanketta, jossa "
                "on kumppaneita Ruotsista ja Suomesta."
            ),
        },
    },
    "Työllistämisehto julkisissa hankinnoissa – työpaja hankintayksiköille": {
        "sv": {
            "title": "Sysselsättningskrav i offentlig upphandling – workshop för upphandlande "
            "organisationer",
            "description": (
                "I workshoppen går vi igenom hur **sysselsättningskrav** (på finska "
                "työllistämisehto) förs in i upphandlingar. Helsingfors överväger kravet i alla "
                "upphandlingar över 200 000 euro.\n\n"
                "- Vem jobbet eller lärlingsplatsen är till för: personer som har varit "
                "arbetslösa i mer än tre månader, personer under 30 år, invandrare och personer "
                "med nedsatt arbetsförmåga\n"
                "- Hur uppfyllandet av kravet följs upp under avtalsperioden\n"
                "- Erfarenheter från Vanda och Sverige"
            ),
        },
        "en": {
            "title": "Employment requirements in public procurement – a workshop for "
            "contracting authorities",
            "description": (
                "The workshop covers how to bring the **employment condition** (in Finnish "
                "työllistämisehto) into procurements. Helsinki considers the condition in every "
                "procurement over EUR 200,000.\n\n"
                "- Who the job or apprenticeship is for: people unemployed for more than three "
                "months, people under 30, immigrants and people with partial work ability\n"
                "- How the fulfilment of the condition is followed up during the contract "
                "period\n"
                "- Experiences from Vantaa and Sweden"
            ),
        },
    },
    "Employment requirements in public contracts: a webinar for suppliers": {
        "sv": {
            "title": "Sysselsättningskrav i offentliga avtal: ett webbinarium för leverantörer",
            "description": (
                "Vad innebär det för en leverantör när ett avtal innehåller ett "
                "**sysselsättningskrav**? Vi förklarar kravets tre nivåer (bas, avancerad och "
                "spjutspets), hur matchningsansvariga hjälper er att hitta kandidater och vad "
                "ni rapporterar under avtalstiden.\n\n"
                "Webbinariet hålls på engelska; det går bra att ställa frågor på svenska och "
                "finska."
            ),
        },
        "fi": {
            "title": "Työllistämisehto julkisissa sopimuksissa: webinaari toimittajille",
            "description": (
                "Mitä toimittajalle merkitsee, kun sopimukseen sisältyy **työllistämisehto**? "
                "Kerromme ehdon kolmesta tasosta (perustaso, edistynyt taso ja kärkitaso), "
                "siitä, miten työnvälittäjät auttavat löytämään ehdokkaat, sekä siitä, mitä "
                "sopimuskauden aikana raportoidaan.\n\n"
                "Webinaarin kieli on englanti, mutta kysymyksiä voi esittää myös ruotsiksi ja "
                "suomeksi."
            ),
        },
    },
    "Frukostseminarium för beslutsfattare: sysselsättningskrav i budgeten": {
        "en": {
            "title": "Breakfast seminar for decision-makers: employment requirements in the budget",
            "description": "Draft: the programme and the speakers are not final yet.",
        },
        "fi": {
            "title": "Aamiaisseminaari päättäjille: työllistämisehto talousarviossa",
            "description": "Luonnos: ohjelma ja puhujat eivät ole vielä vahvistuneet.",
        },
    },
    "Uppstartsmöte: sysselsättningskrav i Botkyrka och Helsingborg": {
        "en": {
            "title": "Kick-off meeting: employment requirements in Botkyrka and Helsingborg",
            "description": (
                "The project's first network meeting for procurers and matchmakers. We went "
                "through the readiness questions: is there a political or management decision, "
                "is the ordering unit interested, is a matchmaker appointed, and is there a "
                "regional network?"
            ),
        },
        "fi": {
            "title": "Aloituskokous: työllistämisehto Botkyrkassa ja Helsingborgissa",
            "description": (
                "Hankkeen ensimmäinen verkostotapaaminen hankinta-asiantuntijoille ja "
                "työnvälittäjille. Kävimme läpi valmiuskysymykset: onko asiasta tehty "
                "poliittinen tai johdon päätös, onko tilaava yksikkö kiinnostunut, onko "
                "työnvälittäjä nimetty ja onko alueellinen verkosto olemassa?"
            ),
        },
    },
}

SESSIONS: dict[str, Texts] = {
    # The national conference (Swedish)
    "Välkomna: varför sysselsättningskrav?": {
        "en": {"title": "Welcome: why employment requirements?"},
        "fi": {"title": "Tervetuloa: miksi työllistämisehto?"},
    },
    "Workshop: kartlägg och analysera – var passar kraven?": {
        "en": {
            "title": "Workshop: map and analyse – where do the requirements fit?",
            "description": "We work on your own upcoming procurements in small groups.",
        },
        "fi": {
            "title": "Työpaja: kartoita ja analysoi – mihin hankintoihin ehto sopii?",
            "description": "Työskentelemme pienryhmissä osallistujien omien tulevien "
            "hankintojen parissa.",
        },
    },
    "Workshop: matchningsansvarig – så hittar vi kandidaterna": {
        "en": {"title": "Workshop: the matchmaker – how we find the candidates"},
        "fi": {"title": "Työpaja: työnvälittäjän rooli – näin löydämme ehdokkaat"},
    },
    "Panel: leverantörer om att anställa via avtalen": {
        "en": {"title": "Panel: suppliers on hiring through the contracts"},
        "fi": {"title": "Paneeli: toimittajat kertovat rekrytoinnista sopimusten kautta"},
    },
    "Uppföljning: placeringar, heltidsmånader och start inom sex månader": {
        "en": {"title": "Follow-up: placements, full-time months and starts within six months"},
        "fi": {
            "title": "Seuranta: työ- ja harjoittelupaikat, kokoaikaiset työkuukaudet ja "
            "aloitus kuuden kuukauden kuluessa"
        },
    },
    "Kriterietjänsten: bas, avancerad och spjutspets": {
        "en": {"title": "The criteria service: basic, advanced and spearhead"},
        "fi": {"title": "Kriteeripalvelu: perustaso, edistynyt taso ja kärkitaso"},
    },
    "Workshop: skriv en avtalsklausul som går att följa upp": {
        "en": {"title": "Workshop: write a contract clause that can be followed up"},
        "fi": {"title": "Työpaja: kirjoita sopimusehto, jonka toteutumista voidaan seurata"},
    },
    "Erfarenheter från Helsingfors: työllistämisehto i över 48 avtal": {
        "en": {"title": "Experiences from Helsinki: the employment condition in over 48 contracts"},
        "fi": {"title": "Kokemuksia Helsingistä: työllistämisehto yli 48 sopimuksessa"},
    },
    "Nästa steg och avslutning": {
        "en": {"title": "Next steps and closing"},
        "fi": {"title": "Jatkotoimet ja tilaisuuden päätös"},
    },
    # The Helsinki workshop (Finnish)
    "Työllistämisehto Helsingissä: mitä olemme oppineet": {
        "sv": {"title": "Sysselsättningskrav i Helsingfors: vad vi har lärt oss"},
        "en": {"title": "The employment condition in Helsinki: what we have learnt"},
    },
    "Ryhmätyö: ehdon muotoilu omaan hankintaan": {
        "sv": {"title": "Grupparbete: formulera kravet för er egen upphandling"},
        "en": {"title": "Group work: drafting the condition for your own procurement"},
    },
    "Seuranta ja vaikutukset": {
        "sv": {"title": "Uppföljning och effekter"},
        "en": {"title": "Follow-up and impact"},
    },
    # The webinar (English)
    "Employment requirements in five minutes": {
        "sv": {"title": "Sysselsättningskrav på fem minuter"},
        "fi": {"title": "Työllistämisehto viidessä minuutissa"},
    },
    "A supplier's story, and questions": {
        "sv": {"title": "En leverantör berättar – och frågor"},
        "fi": {"title": "Toimittajan kokemuksia ja kysymyksiä"},
    },
}


def with_translations(data: dict[str, Any]) -> dict[str, Any]:
    """The demo event as the service takes it, with its and its sessions' translations."""
    return {
        **data,
        "translations": EVENTS.get(data["title"], {}),
        "sessions": [
            {**s, "translations": SESSIONS.get(s["title"], {})} for s in data.get("sessions", [])
        ],
    }
