"""The two built-in templates as plain data; create_survey copies one into rows. Every text
is given in Swedish (the templates' own language), English and Finnish. The codes are those
of surveys/indicators.py: the impact report reads answers by them."""

from __future__ import annotations

from typing import Any

from events.models import TARGET_GROUPS
from participants.kinds import ASKED_KINDS
from surveys import indicators as ind

OWN_LANGUAGE = "sv"


def _t(sv: str, en: str, fi: str) -> dict[str, str]:
    return {"sv": sv, "en": en, "fi": fi}


def _q(
    code: str,
    type_: str,
    text: dict[str, str],
    *,
    required: bool = False,
    options: list[tuple[str, dict[str, str]]] | None = None,
    min: int | None = None,
    max: int | None = None,
    target_groups: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "type": type_,
        "required": required,
        "text": text,
        "options": [{"code": c, "label": label} for c, label in options or []],
        "min": min,
        "max": max,
        "target_groups": target_groups or [],
    }


def _number(code: str, text: dict[str, str], **kw: Any) -> dict[str, Any]:
    return _q(code, "number", text, min=0, max=100000, **kw)


_COMMENTS = _q(
    ind.COMMENTS,
    "long_text",
    _t("Något annat du vill berätta?", "Anything else you would like to tell us?",
       "Haluatko kertoa vielä jotain muuta?"),
)  # fmt: skip

# Contracting authorities: every target group but suppliers.
_BUYERS = [g for g in TARGET_GROUPS if g != "supplier"]
_SUPPLIERS = ["supplier"]

_KIND_LABELS = {
    "municipality": _t("Kommun", "Municipality", "Kunta"),
    "region": _t("Region", "Region", "Alue"),
    "state_agency": _t("Statlig myndighet", "State agency", "Valtion virasto"),
    "public_company": _t("Offentligt ägt bolag", "Publicly owned company",
                         "Julkisesti omistettu yhtiö"),
    "company": _t("Företag", "Company", "Yritys"),
    "association": _t("Förening eller stiftelse", "Association or foundation",
                      "Yhdistys tai säätiö"),
    "other": _t("Annan organisation", "Other organisation", "Muu organisaatio"),
}  # fmt: skip

FEEDBACK: dict[str, Any] = {
    "title": _t("Vad tyckte du om evenemanget?", "What did you think of the event?",
                "Mitä pidit tapahtumasta?"),
    "introduction": _t(
        "Tre korta frågor. Dina svar hjälper oss att göra nästa evenemang bättre.",
        "Three short questions. Your answers help us make the next event better.",
        "Kolme lyhyttä kysymystä. Vastauksesi auttavat meitä parantamaan seuraavaa tapahtumaa.",
    ),
    "sections": [
        {
            "title": _t("Evenemanget", "The event", "Tapahtuma"),
            "questions": [
                _q(ind.USEFUL, "likert5",
                   _t("Var evenemanget användbart för dig?", "Was the event useful to you?",
                      "Oliko tapahtumasta sinulle hyötyä?"), required=True),
                _q(ind.NEXT_STEPS, "multiple_choice",
                   _t("Vad tänker du göra härnäst?", "What will you do next?",
                      "Mitä aiot tehdä seuraavaksi?"),
                   options=[
                       ("use_requirements", _t(
                           "Använda sysselsättningskrav i en upphandling",
                           "Use employment requirements in a procurement",
                           "Käyttää työllistämisehtoja hankinnassa")),
                       ("share_material", _t("Dela materialet", "Share the material",
                                             "Jakaa materiaalia")),
                       ("contact_matchmaker", _t("Kontakta en matchare",
                                                 "Contact a matchmaker",
                                                 "Ottaa yhteyttä työllistämisen yhdyshenkilöön")),
                       ("another_event", _t("Komma på ett annat evenemang",
                                            "Come to another event",
                                            "Tulla toiseen tapahtumaan")),
                       ("nothing_yet", _t("Inget ännu", "Nothing yet", "En vielä mitään")),
                   ]),
                _COMMENTS,
            ],
        }
    ],
}  # fmt: skip

ADOPTION_FOLLOWUP: dict[str, Any] = {
    "title": _t("Hur har det gått sedan evenemanget?", "How has it gone since the event?",
                "Miten on mennyt tapahtuman jälkeen?"),
    "introduction": _t(
        "Några månader har gått. Berätta om din organisation har använt sysselsättningskrav.",
        "A few months have passed. Tell us whether your organisation has used employment "
        "requirements.",
        "Muutama kuukausi on kulunut. Kerro, onko organisaatiosi käyttänyt työllistämisehtoja.",
    ),
    "sections": [
        {
            "title": _t("Sysselsättningskrav", "Employment requirements", "Työllistämisehdot"),
            "questions": [
                _q(ind.USED, "single_choice",
                   _t("Har din organisation använt sysselsättningskrav sedan evenemanget?",
                      "Has your organisation used employment requirements since the event?",
                      "Onko organisaatiosi käyttänyt työllistämisehtoja tapahtuman jälkeen?"),
                   required=True,
                   options=[
                       ("yes", _t("Ja", "Yes", "Kyllä")),
                       ("planned", _t("Det är planerat", "It is planned", "Se on suunnitteilla")),
                       ("no", _t("Nej", "No", "Ei")),
                   ]),
                _q(ind.ORGANISATION_KIND, "single_choice",
                   _t("Vilken sorts organisation arbetar du i?",
                      "What kind of organisation do you work in?",
                      "Millaisessa organisaatiossa työskentelet?"),
                   options=[(k, _KIND_LABELS[k]) for k in ASKED_KINDS]),
                _q(ind.NATIONAL_QUESTION, "likert5",
                   _t("Ställer din organisation sysselsättningsfrämjande krav i sina "
                      "upphandlingar? (1 = aldrig … 5 = alltid)",
                      "Does your organisation set employment-promoting requirements in its "
                      "procurements? (1 = never … 5 = always)",
                      "Asettaako organisaatiosi työllisyyttä edistäviä ehtoja hankinnoissaan? "
                      "(1 = ei koskaan … 5 = aina)")),
                _q(ind.READINESS, "multiple_choice",
                   _t("Vad finns på plats i din organisation?",
                      "What is in place in your organisation?",
                      "Mitä organisaatiossasi on jo olemassa?"),
                   target_groups=_BUYERS,
                   options=[
                       ("decision", _t("Ett politiskt beslut eller en policy",
                                       "A political decision or a policy",
                                       "Poliittinen päätös tai linjaus")),
                       ("matchmaker", _t("En matchare", "A matchmaker",
                                         "Työllistämisen yhdyshenkilö")),
                       ("regional_network", _t("Ett regionalt nätverk", "A regional network",
                                               "Alueellinen verkosto")),
                   ]),
            ],
        },
        {
            "title": _t("Upphandlingar", "Procurements", "Hankinnat"),
            "questions": [
                _number(ind.PROCUREMENTS["basic"],
                        _t("Antal upphandlingar med grundläggande krav",
                           "Number of procurements with basic requirements",
                           "Perustason ehtoja sisältäneiden hankintojen määrä"),
                        target_groups=_BUYERS),
                _number(ind.PROCUREMENTS["advanced"],
                        _t("Antal upphandlingar med avancerade krav",
                           "Number of procurements with advanced requirements",
                           "Edistyneen tason ehtoja sisältäneiden hankintojen määrä"),
                        target_groups=_BUYERS),
                _number(ind.PROCUREMENTS["spearhead"],
                        _t("Antal upphandlingar med spjutspetskrav",
                           "Number of procurements with spearhead requirements",
                           "Kärkitason ehtoja sisältäneiden hankintojen määrä"),
                        target_groups=_BUYERS),
            ],
        },
        {
            "title": _t("Platser", "Placements", "Työpaikat"),
            "questions": [
                _number(ind.PLACEMENTS["employment"],
                        _t("Antal anställningar", "Number of employments", "Työsuhteiden määrä"),
                        target_groups=_BUYERS),
                _number(ind.PLACEMENTS["internship"],
                        _t("Antal praktikplatser", "Number of internships",
                           "Harjoittelupaikkojen määrä"), target_groups=_BUYERS),
                _number(ind.PLACEMENTS["apprenticeship"],
                        _t("Antal lärlingsplatser", "Number of apprenticeships",
                           "Oppisopimuspaikkojen määrä"), target_groups=_BUYERS),
                _number(ind.PLACEMENTS["trainee"],
                        _t("Antal traineeplatser", "Number of traineeships",
                           "Traineepaikkojen määrä"), target_groups=_BUYERS),
                _number(ind.PLACEMENTS_NEWLY_ARRIVED,
                        _t("Hur många av dem gick till nyanlända?",
                           "How many of them went to newly arrived people?",
                           "Kuinka moni niistä meni vasta maahan tulleille?"),
                        target_groups=_BUYERS),
                _number(ind.FULLTIME_MONTHS,
                        _t("Antal avtalade heltidsmånader", "Full-time months agreed",
                           "Sovittujen kokoaikaisten kuukausien määrä"), target_groups=_BUYERS),
                _number(ind.PLACEMENTS_WITHIN_6_MONTHS,
                        _t("Hur många platser tillsattes inom sex månader?",
                           "How many placements were filled within six months?",
                           "Kuinka monta paikkaa täytettiin kuuden kuukauden kuluessa?"),
                        target_groups=_BUYERS),
            ],
        },
        {
            "title": _t("För leverantörer", "For suppliers", "Toimittajille"),
            "questions": [
                _number(ind.CONTRACTS_WON,
                        _t("Hur många kontrakt med sysselsättningskrav har ni vunnit?",
                           "How many contracts with employment requirements have you won?",
                           "Kuinka monta työllistämisehtoja sisältänyttä sopimusta olette "
                           "voittaneet?"), target_groups=_SUPPLIERS),
                _number(ind.PEOPLE_HIRED,
                        _t("Hur många personer har ni anställt eller tagit emot?",
                           "How many people have you hired or placed?",
                           "Kuinka monta henkilöä olette palkanneet tai sijoittaneet?"),
                        target_groups=_SUPPLIERS),
            ],
        },
        {"title": _t("Till sist", "Finally", "Lopuksi"), "questions": [_COMMENTS]},
    ],
}  # fmt: skip

TEMPLATES: dict[str, dict[str, Any]] = {
    "feedback": FEEDBACK,
    "adoption_followup": ADOPTION_FOLLOWUP,
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "feedback": {"anonymous": True, "send_after_days": 1},
    "adoption_followup": {"anonymous": False, "send_after_days": 90},
}
