"""The statement of reasons sent to the user (DSA art. 17), in English and in French.

Built in two steps: ``facts_of`` takes what the statement says from the sanction (the decision it
is issued for, or its latest term for a preview), in no language; ``render`` words those facts in
a language. The JSON keeps both (each constant beside its label, each date beside its sentence),
so that ``translate`` words an issued statement in another language from its stored JSON alone,
never from today's state. It says what was decided and when it takes effect (backdated or not),
the measure, its scope and territorial scope, its duration, on which facts and ground, whether
automated means were used, and how to seek redress: the internal complaint (art. 20: the appeal
link, its code and how long it is open), out-of-court settlement (art. 21) and the courts.

An issued statement holds no appeal code: its page carries a fixed placeholder element
(``APPEAL_CODE_SLOT``) that ``fill_in_code`` replaces in the copy delivered to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from reprieve.domain.content import ContentChange, ContentChangeType, ContentDecision
from reprieve.domain.errors import ValidationError
from reprieve.domain.sanctions import Change, ChangeType, Sanction
from reprieve.domain.time import Duration, format_instant, parse_duration, parse_instant
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
    #: The platform policy's complaint window (art. 20(2): at least six months), in words on the statement.
    complaint_window: Duration | None = None
    #: The seq of the event of the decision the statement is issued for; None: a preview of the
    #: sanction as it stands (its latest term).
    decision_seq: int | None = None
    #: A decision taken on a complaint or a review that ends the measure (a lift, a restoration):
    #: its type as the statement says it (``complaint``; a content decision's ``restored``) and
    #: why it was taken (the reason its event records, naming the complaint or the review).
    decided_as: str | None = None
    why: str | None = None
    #: A decision taken on notices (art. 17(3)(b)): ``{"disclosed": [name, ...]}``, the notifiers
    #: whose identity is disclosed to the user (only where strictly necessary); None: not on a notice.
    notice: dict[str, Any] | None = None


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
        "decision": "Decision",
        "decided_imposed": "Taken on {day}, taking effect on that day.",
        "decided_amended": "A change of an earlier decision, taking effect on {day}.",
        "decided_review": "The decision of a review of this measure, taking effect on {day}.",
        "decided_backdated": " It was backdated: recorded on {recorded}.",
        "decided_lifts": " It lifts the measure.",
        "decided_complaint": "The decision on a complaint, taking effect on {day}.",
        "decided_restored": "The content is restored from {day}.",
        "decided_why": "Why: {why}",
        "issued_on": "Issued on {day}",
        "window": "You can complain for {window} from the day you receive this statement: at least until {day}.",
        "code_on_delivery": "given with the statement you receive",
        "incompatible_with": "Incompatible with our terms and conditions",
        "illegal_under": "Illegal content",
        "source": "Source",
        "on_notice": "This decision was taken on a notice (Article 17(3)(b) DSA).",
        "notified_by": "Notified by: {names}.",
        "notifier_withheld": "The notifier's identity is not disclosed.",
        "item": "Item",
        "item_text": "{item} on {platform}",
        "item_language": "language: {language}",
        "everywhere_content": "Everywhere the service is offered",
        "countries_content": "In these countries only: {countries}",
        "decided_decided": "Taken on {day}, taking effect on that day.",
        "backdated_decided": "This decision was backdated: it takes effect from its own date, {day}, and was "
        "recorded on {recorded}.",
        "backdated_restored": "The restoration of this content, effective on {day}, was backdated: it was recorded "
        "on {recorded}.",
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
        "decision": "Décision",
        "decided_imposed": "Prise le {day}, avec effet le même jour.",
        "decided_amended": "La modification d'une décision antérieure, avec effet le {day}.",
        "decided_review": "La décision d'un réexamen de cette mesure, avec effet le {day}.",
        "decided_backdated": " Elle a été antidatée : enregistrée le {recorded}.",
        "decided_lifts": " Elle lève la mesure.",
        "decided_complaint": "La décision prise sur une réclamation, avec effet le {day}.",
        "decided_restored": "Le contenu est rétabli à partir du {day}.",
        "decided_why": "Motif : {why}",
        "issued_on": "Établi le {day}",
        "window": "Vous pouvez la contester pendant {window} à compter du jour où vous recevez cet exposé : au moins "
        "jusqu'au {day}.",
        "code_on_delivery": "indiqué dans l'exposé qui vous est remis",
        "incompatible_with": "Incompatible avec nos conditions générales",
        "illegal_under": "Contenu illicite",
        "source": "Source",
        "on_notice": "Cette décision a été prise sur une notification (article 17, paragraphe 3, point b), du "
        "règlement).",
        "notified_by": "Notifiée par : {names}.",
        "notifier_withheld": "L'identité de l'auteur de la notification n'est pas communiquée.",
        "item": "Élément",
        "item_text": "{item} sur {platform}",
        "item_language": "langue : {language}",
        "everywhere_content": "Partout où le service est proposé",
        "countries_content": "Dans ces pays seulement : {countries}",
        "decided_decided": "Prise le {day}, avec effet le même jour.",
        "backdated_decided": "Cette décision a été antidatée : elle prend effet à sa propre date, le {day}, et a "
        "été enregistrée le {recorded}.",
        "backdated_restored": "Le rétablissement de ce contenu, effectif le {day}, a été antidaté : il a été "
        "enregistré le {recorded}.",
    },
}

#: What a decision on content does, in words (PRODUCT.md section 9); ``other`` adds its own description.
_CONTENT_MEASURES = {
    Lang.EN: {
        "removal": "The removal of your content.",
        "disabling": "Access to your content is disabled.",
        "demotion": "Your content is demoted: it is ranked lower and shown less, but stays available.",
        "age_restriction": "Your content is restricted by age: it is shown to adults only.",
        "interaction_restriction": "Interaction with your content is restricted: it can no longer be commented on, "
        "shared or reacted to.",
        "label": "A label is shown with your content.",
        "demonetization": "Your content is demonetized: it no longer earns money.",
        "other": "Another restriction of your content:",
    },
    Lang.FR: {
        "removal": "Le retrait de votre contenu.",
        "disabling": "L'accès à votre contenu est bloqué.",
        "demotion": "Votre contenu est rétrogradé : il est moins mis en avant, mais reste disponible.",
        "age_restriction": "Votre contenu est soumis à une limite d'âge : il n'est montré qu'aux adultes.",
        "interaction_restriction": "Les interactions avec votre contenu sont restreintes : il ne peut plus être "
        "commenté, partagé ni faire l'objet de réactions.",
        "label": "Une étiquette est affichée avec votre contenu.",
        "demonetization": "Votre contenu est démonétisé : il ne rapporte plus d'argent.",
        "other": "Une autre restriction de votre contenu :",
    },
}

_SOURCES = {
    Lang.EN: {
        "voluntary": "Our own initiative",
        "article_16": "A notice (Article 16 DSA)",
        "trusted_flagger": "A notice from a trusted flagger (Article 22 DSA)",
        "other_notification": "Another notification",
    },
    Lang.FR: {
        "voluntary": "Notre propre initiative",
        "article_16": "Une notification (article 16 du règlement)",
        "trusted_flagger": "Une notification d'un signaleur de confiance (article 22 du règlement)",
        "other_notification": "Un autre signalement",
    },
}

#: The element of an issued page that the delivered copy fills in with the appeal code; the stored
#: page carries it with a sentence in its place (``fill_in_code``).
APPEAL_CODE_SLOT = re.compile(r'(<span class="code" data-fill="appeal-code">)[^<]*(</span>)')


def build_statement(sanction: Sanction, ctx: Context, lang: Lang) -> dict[str, Any]:
    """The statement of reasons of ``sanction`` in ``lang``: structured fields, each with its sentence."""
    return render(facts_of(sanction, ctx), lang)


def _decision_change(sanction: Sanction, seq: int | None, decided_as: str | None = None) -> tuple[str, Change | None]:
    """The kind of decision (imposed, amended, review) and the change it made. A creation's or an
    amendment's change has the decision's own seq; a review decision's event comes first and its
    change (an amendment or a lift, if any) right after it; a lift ``decided_as`` (``complaint``:
    a granted complaint about the content decision whose strike imposed it) has its own seq. A
    preview: the latest term."""
    if seq is None:
        latest = sanction.latest
        return latest.type.value, latest
    by_seq = {c.seq: c for c in sanction.changes}
    own = by_seq.get(seq)
    if decided_as is not None and own is not None:
        return decided_as, own
    if own is not None and own.type is not ChangeType.LIFTED:
        return own.type.value, own
    return "review", by_seq.get(seq + 1)


def facts_of(sanction: Sanction, ctx: Context) -> dict[str, Any]:
    """What the statement says, in no language: the decision's own instant, its term, the reason,
    the redress and its dates."""
    decided, change = _decision_change(sanction, ctx.decision_seq, ctx.decided_as)
    lifts = change is not None and change.type is ChangeType.LIFTED
    effective = change.effective_at if change is not None else ctx.now
    term = (sanction.term_at(effective) or sanction.latest) if change is None or lifts else change
    kind = term.kind.value if term.kind else "warning"
    deadline = ctx.complaint_deadline
    lifted = sanction.lifted_at
    return {
        "issued_at": ctx.now,
        "decided": {
            "type": decided,
            "effective_at": effective,
            "change": change.seq if change is not None else None,
            "lifts": lifts,
            "backdated": change is not None and change.backdated,
            "recorded_at": change.recorded_at if change is not None else None,
            "why": ctx.why,
        },
        "kind": kind,
        "denies": list(term.denies) if kind == "restriction" else [],
        "scope": [(p, ctx.platform_names.get(p, p)) for p in sanction.scope],
        "countries": list(sanction.reason.territorial_scope) or list(enums.EEA_COUNTRIES),
        "starts_at": sanction.starts_at,
        "ends_at": term.ends_at,
        "held": term.hold_until_review,
        "lifted_at": lifted,
        "backdated": [
            (c.type.value, c.effective_at, c.recorded_at)
            for c in sorted(sanction.changes, key=lambda c: c.seq)
            # An issued statement says its own decision's backdating with the decision; the list
            # holds the earlier decisions' (none recorded after it).
            if c.backdated and (ctx.decision_seq is None or (c.seq <= ctx.decision_seq + 1 and c is not change))
        ],
        "reason": sanction.reason.to_dict(),
        "detection": sanction.automated.detection,
        "automation": sanction.automated.decision.value,
        "appeal_url": ctx.appeal_url,
        "appeal_code": ctx.appeal_code or None,
        "window": ctx.complaint_window.text if ctx.complaint_window is not None else None,
        "deadline": deadline,
        "complaint_open": deadline is not None and ctx.now <= deadline and not lifts,
        "issued": ctx.decision_seq is not None,
        "sanction": sanction.id,
        **({"notice": ctx.notice} if ctx.notice is not None else {}),
    }


def build_content_statement(decision: ContentDecision, ctx: Context, lang: Lang) -> dict[str, Any]:
    """The statement of reasons of a decision on content in ``lang`` (PRODUCT.md section 9)."""
    return render(content_facts_of(decision, ctx), lang)


def _content_change(decision: ContentDecision, seq: int | None) -> tuple[ContentChange, ContentChange]:
    """The change the decision at ``seq`` made (its creation, an amendment, or a restoration) and
    the term it states: its own, or a restoration's, the term in force until it (as known before
    it); a preview: the latest term."""
    if seq is None:
        return decision.latest, decision.latest
    own = next((c for c in decision.changes if c.seq == seq), None)
    assert own is not None, f"no change recorded by event {seq}"
    if own.type is not ContentChangeType.RESTORED:
        return own, own
    earlier = [c for c in decision.changes if c.seq < seq]
    # Restored at its start (a cancellation): the term it starts with.
    return own, replace(decision, changes=earlier).view_at(own.effective_at)


def content_facts_of(decision: ContentDecision, ctx: Context) -> dict[str, Any]:
    """What the statement of a decision on content says, in no language: the item (never its
    content), what was decided where and for how long, the decision's own instant, the reason,
    the redress and its dates."""
    change, term = _content_change(decision, ctx.decision_seq)
    assert term.kind is not None
    lifts = change.type is ContentChangeType.RESTORED
    deadline = ctx.complaint_deadline
    item = decision.item
    platform = ctx.platform_names.get(item.platform, item.platform)
    return {
        "issued_at": ctx.now,
        "decided": {
            "type": change.type.value,
            "effective_at": change.effective_at,
            "change": change.seq,
            "lifts": lifts,
            "backdated": change.backdated,
            "recorded_at": change.recorded_at,
            "why": ctx.why,
        },
        "kind": term.kind.value,
        "kind_other": decision.kind_other if term.kind.value == "other" else None,
        "denies": [],
        "scope": [(item.platform, platform)],
        "countries": list(term.territorial_scope),
        "starts_at": decision.starts_at,
        "ends_at": term.ends_at,
        "held": False,
        "lifted_at": decision.restored_at,
        "backdated": [
            (c.type.value, c.effective_at, c.recorded_at)
            for c in sorted(decision.changes, key=lambda c: c.seq)
            if c.backdated and (ctx.decision_seq is None or (c.seq <= ctx.decision_seq and c is not change))
        ],
        "reason": {
            **decision.reason.to_dict(),
            "content_type": list(item.content_type),
            "content_date": item.content_date,
        },
        "detection": decision.automated.detection,
        "automation": decision.automated.decision.value,
        "appeal_url": ctx.appeal_url,
        "appeal_code": ctx.appeal_code or None,
        "window": ctx.complaint_window.text if ctx.complaint_window is not None else None,
        "deadline": deadline,
        "complaint_open": deadline is not None and ctx.now <= deadline and not lifts,
        "issued": ctx.decision_seq is not None,
        "sanction": None,
        "content_decision": decision.id,
        "item": {"platform": item.platform, "id": item.item, "language": item.language},
        **({"notice": ctx.notice} if ctx.notice is not None else {}),
    }


def render(f: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The statement of the facts ``f`` (``facts_of``, or ``_facts_from`` a stored statement) in ``lang``."""
    text = _TEXT[lang]
    kind = f["kind"]
    reason = f["reason"]
    now, lifted, deadline = f["issued_at"], f["lifted_at"], f["deadline"]
    ends_at = f["ends_at"]
    duration = f"{text['from']} {_day(f['starts_at'], lang)} " + (
        f"{text['until']} {_day(ends_at, lang)}" if ends_at else text["indefinite"]
    )
    if f["held"] and ends_at:  # no end announced while held (PRODUCT.md section 8)
        duration += text["held"]
    countries = f["countries"]
    everywhere = set(countries) == enums.EEA_SET
    illegal = reason["ground"] == "illegal_content"
    decided = f["decided"]
    decided_text = text[f"decided_{decided['type']}"].format(day=_day(decided["effective_at"], lang))
    if decided["backdated"]:
        decided_text += text["decided_backdated"].format(recorded=_day(decided["recorded_at"], lang))
    if decided["lifts"]:
        decided_text += text["decided_lifts"]
    why = decided.get("why")
    if why:
        decided_text += " " + text["decided_why"].format(why=why)
    ended = decided["lifts"] or (lifted is not None and lifted <= now)
    if f["complaint_open"] and deadline is not None:
        if f["issued"]:
            complaint = text["window"].format(window=_window_words(f["window"], lang), day=_day(deadline, lang))
        else:
            complaint = f"{text['deadline']} {_day(deadline, lang)}."
    else:
        complaint = text["ended"] if ended else text["closed"]
    legal, contractual = reason.get("legal_ground"), reason.get("contractual_ground") or reason.get("policy")
    category = reason["category"]
    keywords = list(reason.get("keywords") or ())
    source = reason.get("source") or "voluntary"
    types, content_date = list(reason.get("content_type") or ()), reason.get("content_date")
    out = {
        "sanction": f["sanction"],
        "lang": lang.value,
        "title": text["title"],
        "intro": text["intro"],
        "issued_at": format_instant(now),
        "issued_text": text["issued_on"].format(day=_day(now, lang)),
        "decided": {
            "type": decided["type"],
            "effective_at": format_instant(decided["effective_at"]),
            "change": decided["change"],
            "lifts": decided["lifts"],
            "backdated": decided["backdated"],
            "recorded_at": format_instant(decided["recorded_at"]),
            "text": decided_text,
            # Only a decision taken on a complaint or a review that ends the measure says why:
            # every other statement's JSON stays as it was issued.
            **({"why": why} if why else {}),
        },
        "measure": {
            "kind": kind,
            "text": _MEASURES[lang].get(kind, ""),  # a content kind: worded by _on_content
            "denies": list(f["denies"]),
            "denies_labels": [labels.capability(c, lang.value) for c in f["denies"]],
        },
        "scope": [{"platform": p, "name": name} for p, name in f["scope"]],
        "territorial_scope": {
            "countries": countries,
            "text": text["everywhere"] if everywhere else ", ".join(countries),
        },
        "duration": {
            "starts_at": format_instant(f["starts_at"]),
            "ends_at": format_instant(ends_at),
            "lifted_at": format_instant(lifted),
            "text": duration
            + (f". {text['lifted' if lifted <= now else 'lifting']} {_day(lifted, lang)}." if lifted else "."),
        },
        "held": f["held"],
        "backdated": [
            {
                "change": change,
                "effective_at": format_instant(effective),
                "recorded_at": format_instant(recorded),
                "text": text[f"backdated_{change}"].format(day=_day(effective, lang), recorded=_day(recorded, lang)),
            }
            for change, effective, recorded in f["backdated"]
        ],
        "facts": reason.get("facts") or "",
        "category": category,
        "category_label": _readable(category, lang),
        "keywords": keywords,
        "keyword_labels": [_readable(k, lang) for k in keywords],
        "source": {"type": source, "text": _SOURCES[lang].get(source, _SOURCES[lang]["voluntary"])},
        "content": {
            "types": types,
            "date": content_date,
            "text": _content_text(tuple(types), content_date, lang, text["content_of"]),
        },
        "automated": {
            "detection": f["detection"],
            "decision": f["automation"],
            "text": (text["detected_yes"] if f["detection"] else text["detected_no"])
            + " "
            + _AUTOMATED_DECISION[lang][f["automation"]],
        },
        "ground": {
            "type": reason["ground"],
            "text": text["illegal"] if illegal else text["incompatible"],
            "label": (
                f"{text['illegal_under']}: {legal}"
                if illegal and legal
                else text["illegal_under"]
                if illegal
                else f"{text['incompatible_with']}: {contractual}"
                if contractual
                else text["incompatible_with"]
            ),
            "legal_ground": legal if illegal else None,
            "contractual_ground": None if illegal else reason.get("contractual_ground"),
            "policy": reason.get("policy"),
            "explanation": reason.get("explanation") or "",
        },
        "redress": {
            "internal_complaint": {
                "url": f["appeal_url"],
                "code": f["appeal_code"],
                "window": f["window"],
                "deadline": format_instant(deadline) if f["complaint_open"] else None,
                "text": text["complaint"] + " " + complaint,
            },
            "out_of_court": {"text": text["out_of_court"]},
            "courts": {"text": text["courts"]},
        },
    }
    notice = f.get("notice")
    if notice is not None:  # only a statement of a decision taken on notices says so
        disclosed = list(notice.get("disclosed") or ())
        said = (
            text["on_notice"]
            + " "
            + (text["notified_by"].format(names=", ".join(disclosed)) if disclosed else text["notifier_withheld"])
        )
        out["notice"] = {"disclosed": disclosed, "text": said}
    if f.get("content_decision") is None:
        return out
    return _on_content(out, f, lang)


def _on_content(out: dict[str, Any], f: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """A sanction's statement ``out`` made the statement of a decision on content: it names the
    decision (not a sanction) and the item, says the measure in content's words and the
    territorial scope as decided (none: everywhere the service is offered)."""
    text = _TEXT[lang]
    kind, other = f["kind"], f.get("kind_other")
    measure = _CONTENT_MEASURES[lang][kind] + (f" {other}" if kind == "other" and other else "")
    countries = list(f["countries"])
    item = f["item"]
    platform = f["scope"][0][1] if f["scope"] else item["platform"]
    item_text = text["item_text"].format(item=item["id"], platform=platform)
    if item.get("language"):
        item_text += f" ({text['item_language'].format(language=item['language'])})"
    replaced = {
        "measure": {"kind": kind, "kind_other": other, "text": measure, "denies": [], "denies_labels": []},
        "territorial_scope": {
            "countries": countries,
            "text": text["countries_content"].format(countries=", ".join(countries))
            if countries
            else text["everywhere_content"],
        },
    }
    result: dict[str, Any] = {"content_decision": f["content_decision"]}
    for key, value in out.items():
        if key == "sanction":
            continue
        result[key] = replaced.get(key, value)
        if key == "decided":
            result["item"] = {**item, "text": item_text}
    return result


def labels_for(lang: str) -> dict[str, str]:
    """The page's headings in ``lang`` (en or fr): constant per language, so not in the JSON."""
    return _HEADINGS[Lang(lang)]


_LABELS = (
    "decision",
    "measure",
    "scope",
    "territory",
    "duration",
    "facts",
    "automation",
    "ground",
    "category",
    "source",
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
    "code_on_delivery",
    "item",
)
_HEADINGS = {lang: {k: _TEXT[lang][k] for k in _LABELS} for lang in Lang}


def _facts_from(document: dict[str, Any]) -> dict[str, Any]:
    """The facts of a statement read back from its JSON (``render``'s output, as stored)."""
    d = document
    decided, complaint, ground = d["decided"], d["redress"]["internal_complaint"], d["ground"]
    content = d["content"]
    reason = {
        "ground": ground["type"],
        "legal_ground": ground["legal_ground"],
        "contractual_ground": ground["contractual_ground"],
        "policy": ground["policy"],
        "explanation": ground["explanation"],
        "category": d["category"],
        "keywords": d["keywords"],
        "facts": d["facts"],
        "source": d["source"]["type"],
        "content_type": content["types"],
        "content_date": content["date"],
    }
    return {
        "issued_at": _instant(d["issued_at"]),
        "decided": {
            "type": decided["type"],
            "effective_at": _instant(decided["effective_at"]),
            "change": decided["change"],
            "lifts": decided["lifts"],
            "backdated": decided["backdated"],
            "recorded_at": _instant(decided["recorded_at"]),
            "why": decided.get("why"),
        },
        "kind": d["measure"]["kind"],
        "denies": d["measure"]["denies"],
        "scope": [(p["platform"], p["name"]) for p in d["scope"]],
        "countries": d["territorial_scope"]["countries"],
        "starts_at": _instant(d["duration"]["starts_at"]),
        "ends_at": _instant(d["duration"]["ends_at"]),
        "held": d["held"],
        "lifted_at": _instant(d["duration"]["lifted_at"]),
        "backdated": [(b["change"], _instant(b["effective_at"]), _instant(b["recorded_at"])) for b in d["backdated"]],
        "reason": reason,
        "detection": d["automated"]["detection"],
        "automation": d["automated"]["decision"],
        "appeal_url": complaint["url"],
        "appeal_code": complaint["code"],
        "window": complaint["window"],
        "deadline": _instant(complaint["deadline"]),
        "complaint_open": complaint["deadline"] is not None,
        "issued": True,
        "sanction": d.get("sanction"),
        # A decision on content's (``content_facts_of``); absent from a sanction's statement.
        "content_decision": d.get("content_decision"),
        "kind_other": d["measure"].get("kind_other"),
        "item": {k: v for k, v in d["item"].items() if k != "text"} if "item" in d else None,
        **({"notice": {"disclosed": d["notice"]["disclosed"]}} if "notice" in d else {}),
    }


#: The keys ``issue_statements`` adds to a statement it issues (``services.statements``).
_ISSUE_KEYS = ("id", "decision", "format_version")


def translate(document: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """An issued statement (its stored JSON) in ``lang``: the same issue, its facts worded anew."""
    out = render(_facts_from(document), lang)
    for key in _ISSUE_KEYS:
        if key in document:
            out[key] = document[key]
    return out


def fill_in_code(document: dict[str, Any], page: str, code: str) -> tuple[dict[str, Any], str]:
    """The copy delivered to the user: the stored JSON and page with the appeal code (as printed)
    filled in, and nothing else changed."""
    filled = dict(document)
    redress = dict(filled["redress"])
    redress["internal_complaint"] = {**redress["internal_complaint"], "code": code}
    filled["redress"] = redress
    page, found = APPEAL_CODE_SLOT.subn(lambda m: f"{m.group(1)}{code}{m.group(2)}", page, count=1)
    assert found == 1, "an issued page carries its appeal-code slot"
    return filled, page


def _instant(value: str | None) -> datetime | None:
    return None if value is None else parse_instant(value)


def _readable(constant: str | None, lang: Lang) -> str:
    """A Transparency Database constant in words: its label, or (a constant with none, which the
    labels test rules out for the v2 lists) its name in lower case, never the constant itself."""
    found = labels.label(constant, lang.value)
    if found == constant and constant and re.fullmatch(r"[A-Z][A-Z0-9_]+", constant):
        name = constant.removeprefix("STATEMENT_CATEGORY_").removeprefix("KEYWORD_").replace("_", " ").lower()
        return name[:1].upper() + name[1:]
    return found


_WINDOW_WORDS = {
    Lang.EN: (("year", "years"), ("month", "months"), ("day", "days"), " and "),
    Lang.FR: (("an", "ans"), ("mois", "mois"), ("jour", "jours"), " et "),
}
_NUMBERS = {
    Lang.EN: ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    Lang.FR: ("", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"),
}


@lru_cache(maxsize=64)
def _window_words(window: str | None, lang: Lang) -> str:
    """A complaint window (an ISO 8601 duration: ``P6M``, ``P1Y``, ``P200D``) in words: "six months"."""
    duration = parse_duration(window or "P6M")
    (year, years), (month, months), (day, days), joined = _WINDOW_WORDS[lang]
    numbers = _NUMBERS[lang]
    parts = []
    for count, one, many in (
        (duration.years, year, years),
        (duration.months, month, months),
        (duration.exact.days, day, days),
    ):
        if count:
            parts.append(f"{numbers[count] if count < len(numbers) else count} {one if count == 1 else many}")
    return joined.join(parts) or f"{numbers[6]} {months}"


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


@lru_cache(maxsize=4096)  # a statement per decision: the same few types and days come back
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
