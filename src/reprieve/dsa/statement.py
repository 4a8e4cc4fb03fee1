"""The statement of reasons sent to the user (DSA art. 17), in English and in French.

Built from the sanction as it stands (its latest term), its reason, the platform policy's
complaint window and the sanction's appeal code. It says what was decided (the measure, its
scope and territorial scope, its duration), on which facts and ground, whether automated means
were used, and how to seek redress: the internal complaint (art. 20: the appeal link, its code
and its deadline), out-of-court settlement (art. 21) and the courts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import format_instant
from reprieve.dsa import enums, labels


class Lang(StrEnum):
    EN = "en"
    FR = "fr"


def parse_lang(value: str | None) -> Lang:
    try:
        return Lang(value or "en")
    except ValueError:
        raise ValidationError(f"{value!r} is not a language of statements: en or fr", field="lang") from None


@dataclass(frozen=True, slots=True)
class Context:
    """What the statement needs besides the sanction."""

    platform_names: dict[str, str]  #: platform id -> name, for the scope
    complaint_deadline: datetime | None  #: None once the sanction is lifted
    appeal_url: str
    appeal_code: str  #: as printed: ``ABCDE-FGHIJ``; empty in an issued statement (filled in on delivery)
    now: datetime


_MEASURES = {
    Lang.EN: {
        "warning": "A warning on your account. It restricts nothing, but counts as a strike.",
        "restriction": "A restriction of your account: some features are unavailable.",
        "suspension": "A suspension of your account.",
        "termination": "The termination of your account.",
    },
    Lang.FR: {
        "warning": "Un avertissement sur votre compte. Il ne restreint rien, mais compte comme une infraction.",
        "restriction": "Une restriction de votre compte : certaines fonctions sont indisponibles.",
        "suspension": "Une suspension de votre compte.",
        "termination": "La résiliation de votre compte.",
    },
}
_AUTOMATED_DECISION = {
    Lang.EN: {
        "not_automated": "The decision was taken by a person, without automated means.",
        "partially": "The decision was taken partly by automated means, with human involvement.",
        "fully": "The decision was taken by automated means only.",
    },
    Lang.FR: {
        "not_automated": "La décision a été prise par une personne, sans moyen automatisé.",
        "partially": "La décision a été prise en partie par des moyens automatisés, avec une intervention humaine.",
        "fully": "La décision a été prise uniquement par des moyens automatisés.",
    },
}
_TEXT = {
    Lang.EN: {
        "title": "Statement of reasons",
        "intro": "Under Article 17 of the Digital Services Act (Regulation (EU) 2022/2065) we explain the decision "
        "below and how you can contest it.",
        "detected_yes": "The content or conduct was detected by automated means.",
        "detected_no": "The content or conduct was not detected by automated means.",
        "indefinite": "without an end date",
        "from": "from",
        "until": "until",
        "held": ", and after that until its review is decided",
        "lifted": "This decision was lifted on",
        "lifting": "This decision will be lifted on",
        "everywhere": "the whole European Economic Area",
        "illegal": "The information was considered illegal content.",
        "incompatible": "The information was considered incompatible with our terms and conditions.",
        "legal_ground": "Legal ground",
        "contractual_ground": "Contractual ground",
        "explanation": "Explanation",
        "complaint": "You can complain about this decision through our internal complaint-handling system "
        "(Article 20 DSA), free of charge, with the link and the code below.",
        "deadline": "Complaints are accepted until",
        "closed": "The complaint window has closed; a reinstatement request can still be filed while the "
        "decision is in force.",
        "ended": "This decision has been lifted: there is nothing left to complain about.",
        "out_of_court": "You can also refer the dispute to a certified out-of-court dispute settlement body "
        "(Article 21 DSA). Its decision is not binding, and this does not affect your other rights.",
        "courts": "You can bring the matter before a court at any time, under the law of your Member State.",
        "denies": "Features unavailable",
        "measure": "Measure",
        "scope": "Platforms",
        "territory": "Territorial scope",
        "duration": "Duration",
        "facts": "Facts and circumstances",
        "automation": "Automated means",
        "ground": "Ground",
        "category": "Category",
        "redress": "Your means of redress",
        "code": "Appeal code",
        "internal": "Internal complaint",
        "odr": "Out-of-court settlement",
        "court": "Courts",
        "issued": "Issued",
        "content": "Content",
        "content_of": "of",
        "backdated": "Backdated",
        "backdated_imposed": "This decision was backdated: it takes effect from its own date, {day}, and was "
        "recorded on {recorded}.",
        "backdated_amended": "The change of this decision taking effect on {day} was backdated: it was recorded "
        "on {recorded}.",
        "backdated_lifted": "The lifting of this decision, effective on {day}, was backdated: it was recorded on "
        "{recorded}.",
    },
    Lang.FR: {
        "title": "Exposé des motifs",
        "intro": "En application de l'article 17 du règlement sur les services numériques (règlement (UE) 2022/2065), "
        "nous vous exposons la décision ci-dessous et les moyens de la contester.",
        "detected_yes": "Le contenu ou le comportement a été détecté par des moyens automatisés.",
        "detected_no": "Le contenu ou le comportement n'a pas été détecté par des moyens automatisés.",
        "indefinite": "sans date de fin",
        "from": "du",
        "until": "au",
        "held": ", puis jusqu'à la décision de son réexamen",
        "lifted": "Cette décision a été levée le",
        "lifting": "Cette décision sera levée le",
        "everywhere": "l'ensemble de l'Espace économique européen",
        "illegal": "L'information a été considérée comme un contenu illicite.",
        "incompatible": "L'information a été considérée comme incompatible avec nos conditions générales.",
        "legal_ground": "Fondement juridique",
        "contractual_ground": "Fondement contractuel",
        "explanation": "Explication",
        "complaint": "Vous pouvez contester cette décision, gratuitement, par notre système interne de traitement "
        "des réclamations (article 20 du règlement), avec le lien et le code ci-dessous.",
        "deadline": "Les réclamations sont reçues jusqu'au",
        "closed": "Le délai de réclamation est expiré ; une demande de rétablissement reste possible tant que la "
        "décision est en vigueur.",
        "ended": "Cette décision a été levée : il n'y a plus rien à contester.",
        "out_of_court": "Vous pouvez aussi saisir un organe certifié de règlement extrajudiciaire des litiges "
        "(article 21 du règlement). Sa décision n'est pas contraignante et ne porte pas atteinte à vos autres droits.",
        "courts": "Vous pouvez à tout moment saisir une juridiction, selon le droit de votre État membre.",
        "denies": "Fonctions indisponibles",
        "measure": "Mesure",
        "scope": "Plateformes",
        "territory": "Champ territorial",
        "duration": "Durée",
        "facts": "Faits et circonstances",
        "automation": "Moyens automatisés",
        "ground": "Motif",
        "category": "Catégorie",
        "redress": "Vos voies de recours",
        "code": "Code de recours",
        "internal": "Réclamation interne",
        "odr": "Règlement extrajudiciaire",
        "court": "Juridictions",
        "issued": "Établi le",
        "content": "Contenu",
        "content_of": "du",
        "backdated": "Antidatée",
        "backdated_imposed": "Cette décision a été antidatée : elle prend effet à sa propre date, le {day}, et a "
        "été enregistrée le {recorded}.",
        "backdated_amended": "La modification de cette décision qui prend effet le {day} a été antidatée : elle a "
        "été enregistrée le {recorded}.",
        "backdated_lifted": "La levée de cette décision, effective le {day}, a été antidatée : elle a été "
        "enregistrée le {recorded}.",
    },
}


def build_statement(sanction: Sanction, ctx: Context, lang: Lang) -> dict[str, Any]:
    """The statement of reasons of ``sanction`` in ``lang``: structured fields, each with its sentence."""
    text = _TEXT[lang]
    term = sanction.latest
    kind = term.kind.value if term.kind else "warning"
    reason = sanction.reason
    starts, ends = format_instant(sanction.starts_at), format_instant(term.ends_at)
    duration = f"{text['from']} {_day(sanction.starts_at, lang)} " + (
        f"{text['until']} {_day(term.ends_at, lang)}" if term.ends_at else text["indefinite"]
    )
    if term.hold_until_review and term.ends_at:  # no end announced while held (PRODUCT.md section 8)
        duration += text["held"]
    lifted = sanction.lifted_at
    territory = list(reason.territorial_scope)
    illegal = reason.ground.value == "illegal_content"
    deadline = ctx.complaint_deadline
    complaint_open = deadline is not None and ctx.now <= deadline
    return {
        "sanction": sanction.id,
        "lang": lang.value,
        "title": text["title"],
        "intro": text["intro"],
        "issued_at": format_instant(ctx.now),
        "measure": {
            "kind": kind,
            "text": _MEASURES[lang][kind],
            "denies": list(term.denies) if kind == "restriction" else [],
            "denies_labels": [labels.capability(c, lang.value) for c in term.denies] if kind == "restriction" else [],
        },
        "scope": [{"platform": p, "name": ctx.platform_names.get(p, p)} for p in sanction.scope],
        "territorial_scope": {
            "countries": territory or list(enums.EEA_COUNTRIES),
            "text": ", ".join(territory) if territory else text["everywhere"],
        },
        "duration": {
            "starts_at": starts,
            "ends_at": ends,
            "lifted_at": format_instant(lifted),
            "text": duration
            + (f". {text['lifted' if lifted <= ctx.now else 'lifting']} {_day(lifted, lang)}." if lifted else "."),
        },
        "backdated": _backdated(sanction, lang),
        "facts": reason.facts,
        "category": reason.category,
        "category_label": labels.label(reason.category, lang.value),
        "keywords": list(reason.keywords),
        "keyword_labels": [labels.label(k, lang.value) for k in reason.keywords],
        "content": {
            "types": list(reason.content_type),
            "date": reason.content_date,
            "text": _content_text(reason.content_type, reason.content_date, lang, text["content_of"]),
        },
        "automated": {
            "detection": sanction.automated.detection,
            "decision": sanction.automated.decision.value,
            "text": (text["detected_yes"] if sanction.automated.detection else text["detected_no"])
            + " "
            + _AUTOMATED_DECISION[lang][sanction.automated.decision.value],
        },
        "ground": {
            "type": reason.ground.value,
            "text": text["illegal"] if illegal else text["incompatible"],
            "legal_ground": reason.legal_ground if illegal else None,
            "contractual_ground": None if illegal else reason.contractual_ground,
            "policy": reason.policy,
            "explanation": reason.explanation,
        },
        "redress": {
            "internal_complaint": {
                "url": ctx.appeal_url,
                "code": ctx.appeal_code or None,
                "deadline": format_instant(deadline) if complaint_open else None,
                "text": text["complaint"]
                + " "
                + (
                    f"{text['deadline']} {_day(deadline, lang)}."
                    if complaint_open and deadline
                    else text["ended"]
                    if lifted is not None and lifted <= ctx.now
                    else text["closed"]
                ),
            },
            "out_of_court": {"text": text["out_of_court"]},
            "courts": {"text": text["courts"]},
        },
        "labels": {
            k: text[k]
            for k in (
                "measure",
                "scope",
                "territory",
                "duration",
                "facts",
                "automation",
                "ground",
                "category",
                "redress",
                "code",
                "internal",
                "odr",
                "court",
                "issued",
                "denies",
                "legal_ground",
                "contractual_ground",
                "explanation",
                "content",
                "backdated",
            )
        },
    }


def _backdated(sanction: Sanction, lang: Lang) -> list[dict[str, Any]]:
    """The decisions on the sanction that were backdated (PRODUCT.md section 8), each with its own
    date and the day it was recorded, in recording order; the reason a moderator gave for it is
    staff's record, not the user's statement."""
    text = _TEXT[lang]
    found = []
    for change in sorted(sanction.changes, key=lambda c: c.seq):
        if not change.backdated:
            continue
        sentence = text[f"backdated_{change.type.value}"].format(
            day=_day(change.effective_at, lang), recorded=_day(change.recorded_at, lang)
        )
        found.append(
            {
                "change": change.type.value,
                "effective_at": format_instant(change.effective_at),
                "recorded_at": format_instant(change.recorded_at),
                "text": sentence,
            }
        )
    return found


_MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


#: The Transparency Database's content types, in words.
_CONTENT_TYPES = {
    Lang.EN: {
        "APP": "app",
        "AUDIO": "audio",
        "IMAGE": "image",
        "PRODUCT": "product",
        "SYNTHETIC_MEDIA": "synthetic media",
        "TEXT": "text",
        "VIDEO": "video",
        "OTHER": "other",
    },
    Lang.FR: {
        "APP": "application",
        "AUDIO": "audio",
        "IMAGE": "image",
        "PRODUCT": "produit",
        "SYNTHETIC_MEDIA": "média synthétique",
        "TEXT": "texte",
        "VIDEO": "vidéo",
        "OTHER": "autre",
    },
}


def _content_text(types: tuple[str, ...], day: str | None, lang: Lang, of: str) -> str:
    """``Text, video (of 30 May 2024)``; empty when the reason names neither."""
    names = _CONTENT_TYPES[lang]
    words = ", ".join(names.get(t.removeprefix("CONTENT_TYPE_"), t) for t in types)
    when = ""
    if day is not None:
        try:
            when = _day(datetime.fromisoformat(day), lang)
        except ValueError:
            when = day
    if words and when:
        return f"{words[0].upper()}{words[1:]} ({of} {when})"
    return f"{words[0].upper()}{words[1:]}" if words else when


def _day(value: datetime | None, lang: Lang) -> str:
    if value is None:
        return ""
    if lang is Lang.FR:  # "1er janvier", "2 janvier"
        return f"{'1er' if value.day == 1 else value.day} {_MONTHS_FR[value.month - 1]} {value.year}"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
