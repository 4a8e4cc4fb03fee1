"""Tables: the event log, its chain head, and the projections built from the events.

Instants in projections are BIGINT microseconds since the epoch (UTC); ``END_OF_TIME``
marks an interval with no end. The log keeps RFC 3339 text, exactly as hashed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

#: The comment of a projection's reference into ``personal_data`` (issue 21).
_REF = "reference into personal_data (new events); else the text column holds an old event's text"

#: The comment of ``events.actor`` (issue 21, migration 0018): who acted, by id only.
ACTOR_COMMENT = (
    "who did it, by id: token:<id>, member:<id>, cli, cli:member:<id>, system:worker, system:public-form "
    "(older events: a token or member name)"
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

events = Table(
    "events",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
        comment="position in the log, from 1, without gaps",
    ),
    Column("type", String(64), nullable=False, comment="e.g. sanction.imposed"),
    Column("at", String(32), nullable=False, comment="when it was recorded, RFC 3339"),
    Column("effective_at", String(32), nullable=False, comment="when it takes effect, RFC 3339"),
    Column("actor", String(200), nullable=False, comment=ACTOR_COMMENT),
    Column("operator_id", String(63), nullable=True, comment="the operator it belongs to; null for instance-wide"),
    Column("data", Text, nullable=False, comment="canonical JSON payload, exactly as hashed"),
    Column("prev_hash", String(64), nullable=False, comment="hash of the previous event"),
    Column("hash", String(64), nullable=False, comment="SHA-256 of prev_hash + canonical JSON of the event"),
    Index("ix_events_operator_seq", "operator_id", "seq"),
    # The audit page's filters by type and by recording day (migration 0014).
    Index("ix_events_operator_type_seq", "operator_id", "type", "seq"),
    Index("ix_events_operator_at", "operator_id", "at"),
    # Reads as of a recording instant: the log's prefix recorded by then (migration 0020).
    Index("ix_events_at_seq", "at", "seq"),
    comment="The append-only, hash-chained audit log. Every other table is derived from it.",
)

chain_head = Table(
    "chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="always 1"),
    Column("seq", BigInteger, nullable=False, comment="seq of the last event"),
    Column("hash", String(64), nullable=False, comment="hash of the last event"),
    comment="The head of the chain; locked by every writer, so the log has one order.",
)

operators = Table(
    "operators",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_seq", BigInteger, nullable=False, comment="event that created it"),
    comment="Organisations that run platforms; the unit of tenancy.",
)

platforms = Table(
    "platforms",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False, comment="social, hosting, app_store or other"),
    Column("capabilities", Text, nullable=False, comment="JSON list of capability names"),
    Column("policy", Text, nullable=False, comment="JSON policy object"),
    Column("created_seq", BigInteger, nullable=False),
    comment="Services of an operator.",
)

identities = Table(
    "identities",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("created_seq", BigInteger, nullable=False),
    comment="Accounts of one operator linked together; sanctions are against identities.",
)

accounts = Table(
    "accounts",
    metadata,
    Column("platform_id", String(63), ForeignKey("platforms.id"), primary_key=True),
    Column("account_id", String(200), primary_key=True, comment="the platform's own id"),
    Column("display_name", String(200), nullable=True),
    Column("display_name_ref", String(40), nullable=True, comment=_REF),
    Column("identity_id", String(40), ForeignKey("identities.id"), nullable=False, index=True),
    Column("created_seq", BigInteger, nullable=False),
    comment="Accounts, named by the platform's own id; created on first use.",
)

identity_links = Table(
    "identity_links",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False, comment="the identities.linked event"),
    Column("platform_id", String(63), primary_key=True),
    Column("account_id", String(200), primary_key=True, comment="an account the link moved"),
    Column("operator_id", String(63), nullable=False),
    Column("from_identity", String(40), nullable=False, comment="the identity it was in before the link"),
    Column("to_identity", String(40), nullable=False, comment="the identity the link put it in"),
    Column("identity_id", String(40), nullable=False, comment="its identity now (as accounts.identity_id)"),
    Column("effective_at", BigInteger, nullable=False, comment="µs; when the link took effect (its recording)"),
    Index("ix_identity_links_identity", "identity_id", "effective_at"),
    Index("ix_identity_links_from", "from_identity"),
    comment="Every account each link moved from one identity to another: the links in both clocks "
    "(PRODUCT.md section 8). identity_id follows later links, as the other tables' do.",
)

sanctions = Table(
    "sanctions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("identity_id", String(40), ForeignKey("identities.id"), nullable=False, index=True),
    Column("subject_platform", String(63), nullable=False),
    Column("subject_account", String(200), nullable=False),
    Column("kind", String(16), nullable=False, comment="kind of the latest term"),
    Column("starts_at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("ends_at", BigInteger, nullable=True, comment="end of the latest term; null: indefinite"),
    Column("review_at", BigInteger, nullable=True, comment="review instant of the latest term"),
    Column("lifted_at", BigInteger, nullable=True, comment="earliest lift; null: never lifted"),
    Column("category", String(80), nullable=False, comment="STATEMENT_CATEGORY_* of the reason"),
    Column("reason", Text, nullable=False, comment="JSON reason (DSA fields)"),
    Column("automated", Text, nullable=False, comment="JSON {detection, decision}"),
    Column("changes", Text, nullable=False, comment="JSON list of creation, amendments and lifts"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False, comment="event that last changed it"),
    # An account's sanctions, in id order (the order of every list): by account alone (any
    # platform of the scope) or by platform and account (migration 0010).
    Index("ix_sanctions_account", "subject_account", "subject_platform", "id"),
    # The few sanctions with a review: those due, and those held until it (the enforcement
    # index's build reads them instead of scanning the table; migration 0023).
    Index(
        "ix_sanctions_review_at",
        "review_at",
        sqlite_where=text("review_at IS NOT NULL"),
        postgresql_where=text("review_at IS NOT NULL"),
    ),
    comment="Sanctions, with their whole history of terms.",
    postgresql_with={"fillfactor": 85},  # room for a lift's new row version on its page (migration 0009)
)

sanction_scope = Table(
    "sanction_scope",
    metadata,
    Column("sanction_id", String(40), ForeignKey("sanctions.id"), primary_key=True),
    Column("platform_id", String(63), ForeignKey("platforms.id"), primary_key=True, index=True),
    comment="The platforms a sanction reaches.",
)

sanction_spans = Table(
    "sanction_spans",
    metadata,
    Column("sanction_id", String(40), ForeignKey("sanctions.id"), primary_key=True),
    Column("platform_id", String(63), primary_key=True),
    Column("active_from", BigInteger, primary_key=True, autoincrement=False, comment="µs, inclusive"),
    Column("active_until", BigInteger, nullable=False, comment="µs, exclusive; END_OF_TIME if none"),
    Column("identity_id", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("denies", Text, nullable=False, comment="JSON list of capabilities denied on this platform"),
    Index("ix_sanction_spans_identity_platform", "identity_id", "platform_id"),
    comment="When each sanction is active on each platform of its scope, and what it denies there.",
    postgresql_with={"fillfactor": 50},  # a lift's span updates stay on their page, HOT (migration 0009)
)

sanction_kind_periods = Table(
    "sanction_kind_periods",
    metadata,
    Column("sanction_id", String(40), ForeignKey("sanctions.id"), primary_key=True),
    Column("shown_from", BigInteger, primary_key=True, autoincrement=False, comment="µs, inclusive"),
    Column("shown_until", BigInteger, nullable=False, comment="µs, exclusive; END_OF_TIME if none"),
    Column("kind", String(16), nullable=False, comment="the kind the sanction shows then"),
    comment="Only for sanctions amended to another kind: which kind each shows when. "
    "Others show sanctions.kind at every instant.",
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=True, index=True),
    Column("role", String(32), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True, comment="SHA-256 of the secret"),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=True),
    Column("revoked_at", String(32), nullable=True),
    comment="API tokens; the secret itself is never stored. Recorded by events, not rebuilt from them.",
)

# --- due process: reviews, appeals, violations and their strikes, probation ----------------

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column(
        "sanction_id",
        String(40),
        ForeignKey("sanctions.id"),
        nullable=True,
        index=True,
        comment="the sanction reviewed; null: a review of a content decision",
    ),
    Column(
        "content_decision_id",
        String(40),
        nullable=True,
        index=True,
        comment="the content decision (cd_...) reviewed; null: a review of a sanction",
    ),
    Column("state", String(16), nullable=False, comment="open or decided (due reviews are computed, not stored)"),
    Column("panel", Text, nullable=False, comment="JSON list of reviewers: token names or member ids"),
    Column("quorum", Integer, nullable=False, comment="assessments a decision needs"),
    Column("reason", Text, nullable=False, comment="why the review was opened"),
    Column("due_at", BigInteger, nullable=True, comment="the review_at it answers (µs); null: ad hoc"),
    Column("opened_at", BigInteger, nullable=False, comment="µs"),
    Column("opened_by", String(200), nullable=False),
    Column("outcome", String(16), nullable=True, comment="lift, extend, uphold, terminate or reduce"),
    Column("decided_at", BigInteger, nullable=True, comment="when the decision took effect, µs"),
    Column("decision", Text, nullable=True, comment="JSON: rationale, decided_by, ends_at, next_review_at, probation"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_reviews_state_sanction", "state", "sanction_id"),
    CheckConstraint("(sanction_id IS NULL) <> (content_decision_id IS NULL)", name="ck_reviews_one_subject"),
    comment="Reviews of sanctions and of content decisions (exactly one of the two) by a panel of reviewers.",
)

review_assessments = Table(
    "review_assessments",
    metadata,
    Column("review_id", String(40), ForeignKey("reviews.id"), primary_key=True),
    Column("reviewer", String(200), primary_key=True, comment="the panel entry that filed it"),
    Column("risk", String(16), nullable=False, comment="none, low, moderate, high or severe"),
    Column("factors", Text, nullable=False, comment="JSON list of tags, e.g. ongoing_violence"),
    Column("rationale", Text, nullable=False),
    Column("filed_at", BigInteger, nullable=False, comment="µs"),
    Column("seq", BigInteger, nullable=False),
    comment="One assessment of risk per panel member and review.",
)

#: An appeal is about exactly one of a sanction, a content decision and a notice's decision.
ONE_APPEAL_TARGET = (
    "(CASE WHEN sanction_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN content_decision_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN notice_id IS NULL THEN 0 ELSE 1 END) = 1"
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("sanction_id", String(40), ForeignKey("sanctions.id"), nullable=True, index=True),
    Column(
        "content_decision_id",
        String(40),
        ForeignKey("content_decisions.id"),
        nullable=True,
        comment="the content decision (cd_...) complained about; null: an appeal against a sanction",
    ),
    Column(
        "notice_id",
        String(40),
        nullable=True,
        comment="the notice (ntc_...) whose decision its notifier complains about (art. 20(1)); null: not one",
    ),
    Column("kind", String(16), nullable=False, comment="complaint or reinstatement"),
    Column("state", String(24), nullable=False, comment="open, granted, partially_granted or denied"),
    Column("requester", String(40), nullable=False, comment="reference into appeal_requesters (personal data)"),
    Column("relation", String(16), nullable=False, comment="subject or representative"),
    Column("channel", String(16), nullable=False, comment="web, letter, email or api"),
    Column("meeting_requested", Integer, nullable=False, comment="1 if the requester asks for a meeting"),
    Column("statement", Text, nullable=False),
    Column("statement_ref", String(40), nullable=True, comment=_REF),
    Column("received_at", BigInteger, nullable=False, comment="µs; may be backdated for letters"),
    Column("deadline_at", BigInteger, nullable=True, comment="a complaint's window closed then, µs"),
    Column("review_id", String(40), nullable=True, comment="the review it was attached to"),
    Column("decided_at", BigInteger, nullable=True, comment="when the decision took effect, µs"),
    Column("decided_by", String(200), nullable=True),
    Column("rationale", Text, nullable=True),
    Column("reply", Text, nullable=True, comment="the answer sent to the requester"),
    Column("reply_ref", String(40), nullable=True, comment=_REF),
    Column("handling_seconds", BigInteger, nullable=True, comment="from received_at to the decision"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_appeals_sanction_state", "sanction_id", "state"),
    Index("ix_appeals_content_decision_state", "content_decision_id", "state"),
    Index("ix_appeals_notice_state", "notice_id", "state"),
    CheckConstraint(ONE_APPEAL_TARGET, name="ck_appeals_one_target"),
    comment="Complaints (DSA art. 20) and reinstatement requests against sanctions, complaints about content.",
)

appeal_disputes = Table(
    "appeal_disputes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("appeal_id", String(40), ForeignKey("appeals.id"), nullable=False, index=True),
    Column("operator_id", String(63), nullable=False),
    Column("body", String(300), nullable=False, comment="the certified out-of-court dispute settlement body"),
    Column("submitted_at", BigInteger, nullable=False, comment="µs"),
    Column("decided_at", BigInteger, nullable=True, comment="µs"),
    Column("outcome", String(32), nullable=False, comment="pending, in_favour_of_requester, ..."),
    Column("summary", Text, nullable=False),
    Column("body_ref", String(40), nullable=True, comment=_REF),
    Column("summary_ref", String(40), nullable=True, comment=_REF),
    Column("updated_seq", BigInteger, nullable=False),
    comment="Out-of-court disputes (DSA art. 21) about appeals.",
)

violations = Table(
    "violations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("platform_id", String(63), ForeignKey("platforms.id"), nullable=False),
    Column("external_id", String(200), nullable=False, comment="the platform's own violation id"),
    Column("account_id", String(200), nullable=False),
    Column("identity_id", String(40), nullable=False),
    Column("policy", String(500), nullable=False, comment="the platform's rule that was broken"),
    Column("severity", String(16), nullable=False, comment="low, moderate, high or severe"),
    Column("category", String(80), nullable=False, comment="STATEMENT_CATEGORY_*"),
    Column("occurred_at", BigInteger, nullable=False, comment="µs; the strike counts from then"),
    Column(
        "strike_expires_at",
        BigInteger,
        nullable=True,
        comment="µs; null: never. Its expiry, or the first restoration of its content decision if earlier",
    ),
    Column(
        "strike_expiry",
        BigInteger,
        nullable=True,
        comment="µs; null: never. The strike's own expiry, which a restoration of its content decision "
        "leaves as it was",
    ),
    Column(
        "strike_ended_seq",
        BigInteger,
        nullable=True,
        comment="the event (seq) of its content decision's first restoration, which ended the strike at "
        "strike_expires_at; null: none did",
    ),
    Column("strike_count", Integer, nullable=False, comment="strikes counting once this one was added"),
    Column("ladder", String(16), nullable=False, comment="standard or probation"),
    Column("sanction_id", String(40), nullable=True, index=True, comment="what the ladder imposed, if anything"),
    Column("probation_id", String(40), nullable=True),
    Column(
        "content_decision_id",
        String(40),
        nullable=True,
        index=True,
        comment="the content decision (cd_...) whose strike this is; null: a violation about no item",
    ),
    Column("answer", Text, nullable=False, comment="JSON: the first answer, repeated to retries"),
    Column("created_seq", BigInteger, nullable=False),
    Index("ix_violations_identity_platform", "identity_id", "platform_id"),
    Index("uq_violations_platform_external", "platform_id", "external_id", unique=True),
    comment="Violations reported by platforms, each with its strike.",
)

probations = Table(
    "probations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("platform_id", String(63), primary_key=True),
    Column("operator_id", String(63), nullable=False),
    Column("identity_id", String(40), nullable=False),
    Column("starts_at", BigInteger, nullable=False, comment="µs"),
    Column("until", BigInteger, nullable=False, comment="µs, exclusive"),
    Column("ladder", Text, nullable=False, comment="JSON ladder that applies to violations meanwhile"),
    Column("sanction_id", String(40), nullable=True, comment="the sanction whose lift began it"),
    Column("source", String(60), nullable=False, comment="review:<id> or appeal:<id>"),
    Column("created_seq", BigInteger, nullable=False),
    Index("ix_probations_identity_platform", "identity_id", "platform_id"),
    comment="Probation after reinstatement, per platform of the lifted sanction's scope.",
)

appeal_requesters = Table(
    "appeal_requesters",
    metadata,
    Column("id", String(40), primary_key=True, comment="the reference the events carry"),
    Column("appeal_id", String(40), nullable=False, index=True),
    Column("name", String(200), nullable=True, comment="null once erased"),
    Column("email", String(320), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("name_sha256", String(64), nullable=True, comment="SHA-256 of the name, once erased"),
    Column("email_sha256", String(64), nullable=True, comment="SHA-256 of the e-mail, once erased"),
    Column("erased_at", BigInteger, nullable=True, comment="µs; null: not erased"),
    Column("erased_by", String(200), nullable=True, comment="the actor, by id"),
    comment="Personal data of appeal requesters: never in the event log, exports, webhooks or logs. "
    "Written beside the event that references it; not rebuilt from the log.",
)

personal_data = Table(
    "personal_data",
    metadata,
    Column("id", String(40), primary_key=True, comment='the reference events carry: {"ref": id}'),
    Column("operator_id", String(63), nullable=False),
    Column("kind", String(40), nullable=False, comment="e.g. appeal.statement, appeal.reply, account.display_name"),
    Column("subject", String(300), nullable=False, comment="what an erasure names: a requester reference, an account"),
    Column("value", Text, nullable=True, comment="the text; null once erased"),
    Column("sha256", String(64), nullable=False, comment="SHA-256 of the text, kept after erasure"),
    Column("created_at", BigInteger, nullable=False, comment="µs"),
    Column("erased_at", BigInteger, nullable=True, comment="µs; null: not erased"),
    Column("erased_by", String(200), nullable=True),
    Index("ix_personal_data_operator_subject", "operator_id", "subject"),
    comment="Personal data referenced by events, outside the chain: blanked on erasure, its hash kept. "
    "Written beside the event that references it; not rebuilt from the log.",
)

issued_documents = Table(
    "issued_documents",
    metadata,
    Column("id", String(40), primary_key=True, comment="stm_... for a statement of reasons"),
    Column("operator_id", String(63), nullable=False),
    Column("kind", String(20), nullable=False, comment="statement (later: the other messages, PRODUCT.md s. 11)"),
    Column(
        "sanction_id",
        String(40),
        nullable=False,
        comment="what the decision is about: a sanction (snc_...) or a content decision (cd_...)",
    ),
    Column("decision_seq", BigInteger, nullable=False, comment="the event of the decision it was issued for"),
    Column(
        "issued_at", BigInteger, nullable=False, comment="µs; the recording instant of that decision's unit of work"
    ),
    Column("language", String(10), nullable=False, comment="the platform's default (en) until accounts have one"),
    Column("format_version", Integer, nullable=False, comment="the version of the document's layout"),
    Column(
        "document",
        LargeBinary,
        nullable=True,
        comment="the JSON as issued, byte for byte, as packing says; null once erased",
    ),
    Column(
        "packing",
        SmallInteger,
        nullable=False,
        comment="how document is kept: 0 = as it is (UTF-8), 1 = zlib with the preset dictionary issued_1.zdict",
    ),
    Column("sha256", String(64), nullable=False, comment="SHA-256 of document's UTF-8 bytes, kept after erasure"),
    Column("erased_at", BigInteger, nullable=True, comment="µs; null: not erased"),
    Column(
        "export_fields",
        LargeBinary,
        nullable=True,
        comment="a content decision's statement: what the Transparency Database export takes of document, as a "
        "compact JSON array (dsa.tdb.content_export_fields); null for other documents, and once erased",
    ),
    Index("ix_issued_documents_sanction", "sanction_id", "issued_at"),
    comment="Documents issued to people (statements of reasons first), stored once and never updated but "
    "to blank them on erasure: outside the chain, each recorded by an event carrying its id and hash. "
    "Not rebuilt from the log.",
)

issued_renderings = Table(
    "issued_renderings",
    metadata,
    Column("document_id", String(40), ForeignKey("issued_documents.id"), primary_key=True),
    Column("language", String(10), primary_key=True, comment="its language: the issue's own, or a translation"),
    Column("rendered_at", BigInteger, nullable=False, comment="µs; when it was first asked for and made"),
    Column(
        "document",
        LargeBinary,
        nullable=True,
        comment="the JSON in that language, compressed (packing); null in the issue's own language (the issued "
        "JSON is the text) and once erased",
    ),
    Column(
        "page",
        LargeBinary,
        nullable=True,
        comment="the HTML page as first made, byte for byte, compressed (packing); null once erased",
    ),
    Column("packing", SmallInteger, nullable=False, comment="as issued_documents.packing"),
    Column("sha256", String(64), nullable=False, comment="SHA-256 of the JSON in that language, kept after erasure"),
    Column("page_sha256", String(64), nullable=False, comment="SHA-256 of the page, kept after erasure"),
    Column("erased_at", BigInteger, nullable=True, comment="µs; null: not erased"),
    comment="Renderings of issued documents: the page in the issue's language, and other languages (a "
    "translation is another rendering of the same issue), made from the issued JSON the first time each is "
    "asked for and kept as made: never rewritten but to blank them on erasure.",
)

log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("event_seq", BigInteger, primary_key=True, autoincrement=False, comment="the log.checkpointed event"),
    Column("head_seq", BigInteger, nullable=False, comment="the last event of the prefix it proves"),
    Column("head_hash", String(64), nullable=False, comment="that event's stored hash"),
    Column("rewritten", BigInteger, nullable=False, comment="events of the prefix whose personal fields were moved"),
    Column(
        "digest", String(64), nullable=False, comment="running SHA-256 over the prefix as stored after the cut-over"
    ),
    Column("signature", String(64), nullable=False, comment="HMAC-SHA-256 of the above under the checkpoint key"),
    Column("at", String(40), nullable=False, comment="when the cut-over ran (the event's at)"),
    comment="The cut-over's checkpoint (issue 21): proves the events whose personal data was moved out of "
    "the chain; the same facts are chained in its log.checkpointed event.",
)


#: Tables rebuilt from the log by ``rebuild_projections``, in dependency order.
PROJECTIONS: tuple[Table, ...] = (
    operators,
    platforms,
    identities,
    accounts,
    identity_links,
    sanctions,
    sanction_scope,
    sanction_spans,
    sanction_kind_periods,
    reviews,
    review_assessments,
    appeals,
    appeal_disputes,
    violations,
    probations,
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True, comment="SHA-256 of the bearer secret: keys are per token"),
    Column("key", String(255), primary_key=True, comment="the client's Idempotency-Key header"),
    Column("fingerprint", String(64), nullable=False, comment="SHA-256 of method, path, query and body"),
    Column("status", Integer, nullable=True, comment="HTTP status of the first answer; null while it runs"),
    Column("content_type", String(100), nullable=True, comment="content type of the first answer"),
    Column("body", Text, nullable=True, comment="body of the first answer, replayed to retries"),
    Column("created_at", BigInteger, nullable=False, comment="µs since epoch; keys are forgotten after a day"),
    Index("ix_idempotency_keys_created_at", "created_at"),
    comment="First answers to POSTs sent with an Idempotency-Key. Not an event: a cache of replies.",
)

# --- the console: members, their sessions, sign-in attempts (migration 0008) ----------------

members = Table(
    "members",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "operator_id",
        String(63),
        ForeignKey("operators.id"),
        nullable=True,
        index=True,
        comment="null for an instance-admin",
    ),
    Column("email", String(320), nullable=False, unique=True, comment="lower-cased; the sign-in name"),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False, comment="a Role value, as for tokens"),
    Column("password_hash", Text, nullable=False, comment="argon2id, with its parameters and salt"),
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32), nullable=True),
    comment="People who sign in to the console. Recorded by events, not rebuilt from them.",
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True, comment="SHA-256 of the cookie's secret"),
    Column("member_id", String(40), ForeignKey("members.id"), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("expires_at", BigInteger, nullable=False, comment="µs since epoch"),
    comment="Signed-in console sessions; the cookie's secret itself is never stored.",
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "email",
        String(320),
        nullable=False,
        comment="HMAC-SHA256 of the e-mail as typed, lower-cased (plain before 0013)",
    ),
    Column("at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("succeeded", Integer, nullable=False, comment="1 or 0"),
    Column("client", String(64), nullable=True, comment="the client address; null for attempts recorded before 0013"),
    Index("ix_sign_in_attempts_email_at", "email", "at"),
    Index("ix_sign_in_attempts_client_at", "client", "at"),
    Index("ix_sign_in_attempts_at", "at"),
    comment="Sign-in attempts, for the lock-out after repeated failures.",
)

security_log = Table(
    "security_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False, comment="µs since epoch"),
    Column(
        "event",
        String(32),
        nullable=False,
        comment="sign_in_failed, sign_in_refused (back-off or client limit), password_failed",
    ),
    Column("client", String(64), nullable=False, comment="the client address"),
    Column("member_id", String(40), nullable=True, comment="the member, when the e-mail is one"),
    Column(
        "email_digest",
        String(64),
        nullable=True,
        comment="HMAC-SHA256 of an e-mail that is no member's: never the e-mail itself",
    ),
    Column("retry_after", Integer, nullable=True, comment="seconds, for a refusal"),
    Index("ix_security_log_at", "at"),
    comment="Failed sign-ins and refusals, outside the event log; pruned after REPRIEVE_SECURITY_LOG_DAYS.",
)

personal_data_access = Table(
    "personal_data_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("operator_id", String(63), nullable=False),
    Column("actor", String(200), nullable=False, comment="who read it: member:<id>, token:<id>, cli, cli:member:<id>"),
    Column("via", String(16), nullable=False, comment="console, api or cli"),
    Column("appeal_id", String(40), nullable=False),
    Column("subject", String(40), nullable=False, comment="the requester's reference (appeal_requesters.id)"),
    Column("fields", String(100), nullable=False, comment="what was shown, comma-separated: email"),
    Index("ix_personal_data_access_at", "at"),
    Index("ix_personal_data_access_operator_at", "operator_id", "at"),
    comment="Who was shown a requester's e-mail, when, of which appeal; outside the event log, "
    "pruned after REPRIEVE_ACCESS_LOG_DAYS.",
)

rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bucket", String(32), nullable=False, comment="which limit, e.g. appeal-filing"),
    Column("key", String(128), nullable=False, comment="who is counted: a client address"),
    Column("at", BigInteger, nullable=False, comment="µs since epoch"),
    Index("ix_rate_limit_hits_bucket_key_at", "bucket", "key", "at"),
    comment="Counted hits of the rate limits that every process shares.",
)

web_secrets = Table(
    "web_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
    comment="Keys of the web pages (the CSRF tokens' HMAC), made at first use.",
)

# --- outbox, webhooks and the worker (issue 5, items 2-4) ---------------------------------

outbox_consumers = Table(
    "outbox_consumers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="always 1"),
    Column("version", BigInteger, nullable=False, comment="bumped whenever an endpoint or the broker changes"),
    Column("broker", Integer, nullable=False, comment="1 once a broker (NATS) publishes every event"),
    comment="Who consumes the outbox; its version lets each process cache the endpoint list.",
)

# --- appeal codes (issue 17, item 7) ---------------------------------------------------------

appeal_code_legacy = Table(
    "appeal_code_legacy",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="always 1"),
    Column(
        "until_seq",
        BigInteger,
        nullable=False,
        comment="sanctions created up to this event keep the code derived from their event's hash",
    ),
    comment="Appeal codes printed before codes were keyed (migration 0012) keep working.",
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False, comment="http(s) URL the deliveries are POSTed to"),
    Column("event_types", Text, nullable=False, comment='JSON list of event types; ["*"]: every type'),
    Column("secret", Text, nullable=False, comment="the signing secret, encrypted (Fernet)"),
    Column("description", String(500), nullable=False),
    Column("state", String(16), nullable=False, comment="active or disabled"),
    Column("created_at", String(32), nullable=False, comment="RFC 3339"),
    Column("updated_seq", BigInteger, nullable=False, comment="event that last changed it"),
    comment="Webhook endpoints of operators. Recorded by events, not rebuilt from them.",
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
        comment="the delivery id",
    ),
    Column("seq", BigInteger, nullable=False, comment="the event to deliver"),
    Column("target", String(40), nullable=False, comment="a webhook endpoint id, or 'nats'"),
    Column("operator_id", String(63), nullable=True),
    Column(
        "subject",
        String(300),
        nullable=False,
        comment="ordering key (a sanction, an account): a later row for the same target and subject waits",
    ),
    Column("state", String(16), nullable=False, comment="pending, delivered or dead"),
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("next_attempt_at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("leased_until", BigInteger, nullable=True, comment="µs; a worker is delivering it until then"),
    Column("lease_owner", String(80), nullable=True),
    Column("last_attempt_at", BigInteger, nullable=True, comment="µs"),
    Column("last_error", String(500), nullable=True),
    Column("delivered_at", BigInteger, nullable=True, comment="µs"),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
    Index("ix_outbox_state_id", "state", "id"),
    Index("ix_outbox_target_subject", "target", "subject", "state", "id"),
    Index("ix_outbox_target_state", "target", "state", "id"),
    comment="Transactional outbox: one row per event and consumer, written with the event.",
)

worker_partitions = Table(
    "worker_partitions",
    metadata,
    Column("name", String(40), primary_key=True, comment="a kind of announcement, e.g. sanction.ended"),
    Column("owner", String(80), nullable=True, comment="the worker holding the lease"),
    Column("leased_until", BigInteger, nullable=True, comment="µs"),
    Column("scanned_until", BigInteger, nullable=False, comment="µs: what fell due up to then is announced"),
    Column("scanned_seq", BigInteger, nullable=False, comment="changes up to this event are scanned"),
    comment="Work partitions of the worker's announcements, each leased to one worker at a time.",
)

announcements = Table(
    "announcements",
    metadata,
    Column("key", String(200), primary_key=True, comment="e.g. sanction.ended:<id>:<µs>: made once"),
    Column("seq", BigInteger, nullable=False, comment="the event that made it"),
    comment="Announcements made by the worker, one row each: what makes them exactly once.",
)

worker_settings = Table(
    "worker_settings",
    metadata,
    Column("operator_id", String(63), ForeignKey("operators.id"), primary_key=True),
    Column("appeal_target", String(40), nullable=True, comment="ISO 8601 duration; an open appeal older is late"),
    Column("updated_seq", BigInteger, nullable=False),
    Column(
        "retention",
        String(40),
        nullable=True,
        comment="ISO 8601 duration: closed cases' personal data is purged that long after; null: default",
    ),
    Column(
        "evidence_retention",
        String(40),
        nullable=True,
        comment="ISO 8601 duration: content decisions' evidence is kept at least that long after the decision, "
        "and while a complaint or dispute about the item is possible or open; null: the default, P1Y",
    ),
    comment="Operator settings of the worker; without a value the appeal target is P14D, the retention "
    "the longest complaint window of the operator's platforms.",
)

# --- amnesties (issue 5): bulk lifts that can be previewed, resumed and reverted -----------

amnesties = Table(
    "amnesties",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operator_id", String(63), ForeignKey("operators.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False, comment="running, completed, reverting or reverted"),
    Column("filter", Text, nullable=False, comment="JSON filter, as recorded in amnesty.started"),
    Column("reason", Text, nullable=False),
    Column("effective_at", BigInteger, nullable=False, comment="µs; when its lifts take effect"),
    Column(
        "matched",
        BigInteger,
        nullable=False,
        comment="sanctions and content decisions matched (and frozen) at the start",
    ),
    Column(
        "content_matched",
        BigInteger,
        nullable=False,
        server_default="0",
        comment="of matched, the content decisions (their targets come after the sanctions')",
    ),
    Column(
        "content_restored",
        BigInteger,
        nullable=False,
        server_default="0",
        comment="content.restored events recorded so far by the amnesty",
    ),
    Column("lifted", BigInteger, nullable=False, comment="lift events recorded so far"),
    Column("skipped", BigInteger, nullable=True, comment="targets no longer active when reached; set at the end"),
    Column("restored", BigInteger, nullable=False, comment="sanctions re-imposed by the revert so far"),
    Column("left_alone", BigInteger, nullable=True, comment="lifted ones the revert left alone; set at the end"),
    Column("created_by", String(200), nullable=False),
    Column("started_at", BigInteger, nullable=False, comment="µs"),
    Column("finished_at", BigInteger, nullable=True, comment="µs; when the last batch of lifts committed"),
    Column("revert_reason", Text, nullable=True),
    Column("reverted_by", String(200), nullable=True),
    Column("revert_started_at", BigInteger, nullable=True, comment="µs"),
    Column("reverted_at", BigInteger, nullable=True, comment="µs; when the last batch of the revert committed"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    comment="Amnesties, rebuilt from amnesty.* events and the sanction.lifted events that name them.",
)

#: Rebuilt from the log like the others (after the operators they belong to).
PROJECTIONS = (*PROJECTIONS, amnesties)

amnesty_targets = Table(
    "amnesty_targets",
    metadata,
    Column("amnesty_id", String(40), primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False, comment="1, 2, ... in sanction id order"),
    Column(
        "sanction_id",
        String(40),
        nullable=False,
        comment="the sanction, or the content decision (cd_...) for positions after the sanctions'",
    ),
    Column("restored_id", String(40), nullable=True, comment="the sanction the revert imposed in its place"),
    comment="The sanctions an amnesty matched, frozen at its start: the work list of its batches. "
    "Written with the events of each batch; not rebuilt from the log.",
)

amnesty_lift_ranges = Table(
    "amnesty_lift_ranges",
    metadata,
    Column("amnesty_id", String(40), primary_key=True),
    Column("first_seq", BigInteger, primary_key=True, autoincrement=False, comment="first lift event of a batch"),
    Column("last_seq", BigInteger, nullable=False, comment="last lift event of the batch"),
    comment="The seqs of each batch's lift events (a batch's events are consecutive in the log): a sanction "
    "whose updated_seq falls in one was lifted by the amnesty and changed by nothing since.",
)

amnesty_runs = Table(
    "amnesty_runs",
    metadata,
    Column("amnesty_id", String(40), primary_key=True),
    Column("phase", String(8), primary_key=True, comment="lift or revert"),
    Column("position", BigInteger, nullable=False, comment="targets up to this position are done"),
    Column("total", BigInteger, nullable=False, comment="last position of the targets"),
    Column("processed", BigInteger, nullable=False),
    Column("skipped", BigInteger, nullable=False, comment="lift: no longer active; revert: left alone"),
    Column("done", Integer, nullable=False, comment="1 once the last batch committed"),
    Column("claimed_by", String(200), nullable=True, comment="the process working on it"),
    Column("lease_until", BigInteger, nullable=True, comment="µs; another process may take over after it"),
    Column("started_at", BigInteger, nullable=False, comment="µs, wall clock: rate and ETA count from it"),
    Column("updated_at", BigInteger, nullable=False, comment="µs, wall clock of the last batch"),
    Column("resumed_at", BigInteger, nullable=True, comment="µs; the last take-over after a stop"),
    Column("resumed_from", BigInteger, nullable=True, comment="processed when it was last taken over"),
    Column("error", Text, nullable=True, comment="why the last attempt stopped, if it failed"),
    comment="Where each pass of an amnesty stands: its cursor, moved in the transaction of each batch, "
    "and its lease. Working state, not rebuilt from the log.",
)

#: Dry runs and starts count an operator's sanctions without reading their wide rows. In id order,
#: as the amnesty lifts them: the entries a batch changes (lifted_at, updated_seq) sit side by side.
Index(
    "ix_sanctions_amnesty_match",
    sanctions.c.operator_id,
    sanctions.c.id,
    sanctions.c.kind,
    sanctions.c.starts_at,
    sanctions.c.ends_at,
    sanctions.c.lifted_at,
    sanctions.c.created_seq,
    sanctions.c.updated_seq,
    sanctions.c.category,
)

# --- DSA transparency: statements submitted to the Transparency Database (migration 0007) -------

tdb_submissions = Table(
    "tdb_submissions",
    metadata,
    Column(
        "endpoint", String(500), primary_key=True, comment="the Transparency Database it was sent to (REPRIEVE_TDB_URL)"
    ),
    Column("puid", String(500), primary_key=True, comment="the statement's platform unique identifier"),
    Column("operator_id", String(63), nullable=False, index=True),
    Column(
        "sanction_id",
        String(40),
        nullable=False,
        index=True,
        comment="the decision's sanction (snc_...) or content decision (cd_...)",
    ),
    Column(
        "state",
        String(16),
        nullable=False,
        comment="sending (written before the POST), accepted, or rejected (422 for this statement)",
    ),
    Column("attempts", Integer, nullable=False, comment="POSTs that carried this statement"),
    Column("errors", Text, nullable=True, comment="JSON: the database's per-field errors, when rejected"),
    Column("updated_at", BigInteger, nullable=False, comment="µs since epoch, wall clock"),
    Index("ix_tdb_submissions_operator_state", "operator_id", "state"),
    comment="Statements of reasons sent to the DSA Transparency Database, so that no puid is sent twice "
    "to the same database (keyed by endpoint and puid). Working state of the submitter, not rebuilt from the log.",
)

tdb_runs = Table(
    "tdb_runs",
    metadata,
    Column("id", String(40), primary_key=True, comment="tdbr_<ULID>"),
    Column("operator_id", String(63), nullable=False, index=True),
    Column("endpoint", String(500), nullable=False, comment="REPRIEVE_TDB_URL when it was requested"),
    Column("period_from", BigInteger, nullable=True, comment="µs since epoch, included; NULL: no bound"),
    Column("period_to", BigInteger, nullable=True, comment="µs since epoch, excluded; NULL: no bound"),
    Column("batch_size", Integer, nullable=False),
    Column("state", String(16), nullable=False, comment="queued, running, done or failed"),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", BigInteger, nullable=False, comment="µs since epoch, wall clock"),
    Column("started_at", BigInteger, nullable=True),
    Column("finished_at", BigInteger, nullable=True),
    Column("owner", String(100), nullable=True, comment="the worker (or command) running it"),
    Column("leased_until", BigInteger, nullable=True, comment="µs since epoch: the owner's lease"),
    Column("not_before", BigInteger, nullable=True, comment="µs since epoch: not taken up again before"),
    Column("progress", Text, nullable=False, comment="JSON: batches, accepted, already_there, rejected, ..."),
    Column("error", String(200), nullable=True, comment="a short class (HTTP 4xx, timeout, ...), never a body"),
    Column("status", Integer, nullable=True, comment="the HTTP status of the answer that stopped it"),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_tdb_runs_state_requested", "state", "requested_at"),
    comment="Transparency Database submission runs: requested through the API or the CLI, run by the worker.",
)

statement_deliveries = Table(
    "statement_deliveries",
    metadata,
    Column("statement_id", String(40), primary_key=True, comment="the issued statement (issued_documents.id)"),
    Column("operator_id", String(63), nullable=False),
    Column(
        "sanction_id",
        String(40),
        nullable=False,
        comment="what the statement is about: a sanction (snc_...) or a content decision (cd_...)",
    ),
    Column("delivered_at", BigInteger, nullable=False, comment="µs; when the platform says its user received it"),
    Column("channel", String(32), nullable=False, comment="how: in_app, email, post, other... (a short code)"),
    Column("recorded_seq", BigInteger, nullable=False, comment="the statement.delivered event (for as_of reads)"),
    Index("ix_statement_deliveries_sanction", "sanction_id"),
    comment="The first delivery receipt of each issued statement (PRODUCT.md section 8, 'The user is "
    "informed'): the day the complaint window runs from. Rebuilt from the statement.delivered events.",
)

#: Rebuilt from the log like the others (after the sanctions they are about).
PROJECTIONS = (*PROJECTIONS, statement_deliveries)

# --- Decisions on content (issue 24, PRODUCT.md section 9; migration 0026) ------------------------

items = Table(
    "items",
    metadata,
    Column("platform_id", String(63), ForeignKey("platforms.id"), primary_key=True),
    Column("item_id", String(200), primary_key=True, comment="the platform's own id of the item"),
    Column("operator_id", String(63), nullable=False),
    Column("author_account", String(200), nullable=False, comment="its author on the platform, as first recorded"),
    Column("content_type", Text, nullable=False, comment="JSON list of CONTENT_TYPE_* codes, as first recorded"),
    Column("content_date", String(10), nullable=False, comment="YYYY-MM-DD, as first recorded"),
    Column("language", String(20), nullable=True, comment="ISO 639-1 code, as first recorded"),
    Column("created_seq", BigInteger, nullable=False, comment="the content.decided event that first named it"),
    Index("ix_items_author", "platform_id", "author_account"),
    comment="Items (pieces of content) decided about, as the first decision described them: an item keeps "
    "its author. Never the content itself.",
)

content_decisions = Table(
    "content_decisions",
    metadata,
    Column("id", String(40), primary_key=True, comment="cd_..."),
    Column("operator_id", String(63), nullable=False, index=True),
    Column("platform_id", String(63), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("author_account", String(200), nullable=False),
    Column("kind", String(32), nullable=False, comment="kind of the latest term"),
    Column("kind_other", Text, nullable=True, comment="what a decision of kind other does"),
    Column(
        "territorial_scope", Text, nullable=False, comment="JSON list of EEA codes of the latest term; []: everywhere"
    ),
    Column("starts_at", BigInteger, nullable=False, comment="µs since epoch"),
    Column("ends_at", BigInteger, nullable=True, comment="end of the latest term; null: indefinite"),
    Column("restored_at", BigInteger, nullable=True, comment="earliest restoration; null: never restored"),
    Column("category", String(80), nullable=False, comment="STATEMENT_CATEGORY_* of the reason"),
    Column("reason", Text, nullable=False, comment="JSON reason (DSA fields)"),
    Column("automated", Text, nullable=False, comment="JSON {detection, decision}"),
    Column("strike", Boolean, nullable=False, comment="counts as a strike against the author"),
    Column("changes", Text, nullable=False, comment="JSON list of creation, amendments and restorations"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False, comment="event that last changed it (its version)"),
    Index("ix_content_decisions_item", "platform_id", "item_id", "id"),
    Index("ix_content_decisions_author", "platform_id", "author_account", "id"),
    comment="Decisions on items, with their whole history of terms.",
)

content_spans = Table(
    "content_spans",
    metadata,
    Column("decision_id", String(40), ForeignKey("content_decisions.id"), primary_key=True),
    Column("active_from", BigInteger, primary_key=True, autoincrement=False, comment="µs, inclusive"),
    Column("active_until", BigInteger, nullable=False, comment="µs, exclusive; END_OF_TIME if none"),
    Column("platform_id", String(63), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("countries", String(120), nullable=False, comment="EEA codes joined by spaces; empty: everywhere"),
    Index("ix_content_spans_item", "platform_id", "item_id"),
    comment="When each content decision is in force, as which kind, and where: what the index loads.",
)

content_evidence = Table(
    "content_evidence",
    metadata,
    Column("decision_id", String(40), primary_key=True, comment="the content decision it supports"),
    Column("operator_id", String(63), nullable=False),
    Column("platform_id", String(63), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("reference", Text, nullable=True, comment="the platform's reference of its snapshot; null once forgotten"),
    Column("sha256", String(64), nullable=True, comment="SHA-256 of the snapshot; null once forgotten"),
    Column("recorded_at", BigInteger, nullable=False, comment="µs"),
    Column("forgotten_at", BigInteger, nullable=True, comment="µs; null: still kept"),
    Index("ix_content_evidence_item", "platform_id", "item_id"),
    comment="Evidence of content decisions: a reference to the platform's snapshot of the item and its "
    "SHA-256, never the content; outside the chain, kept while a complaint or dispute is possible, then "
    "forgotten. Not rebuilt from the log.",
)

#: Rebuilt from the log like the others.
PROJECTIONS = (*PROJECTIONS, items, content_decisions, content_spans)
#: Appeals (and their disputes) after the content decisions they may name: a rebuild empties the
#: projections in reverse order, the rows that refer to others first.
PROJECTIONS = (*(t for t in PROJECTIONS if t not in (appeals, appeal_disputes)), appeals, appeal_disputes)

# --- Notices and their cases (issue 26, PRODUCT.md section 10; migration 0035) --------------------

notice_cases = Table(
    "notice_cases",
    metadata,
    Column("id", String(40), primary_key=True, comment="cas_..."),
    Column("operator_id", String(63), nullable=False, index=True),
    Column("platform_id", String(63), nullable=False),
    Column("about_kind", String(16), nullable=False, comment="item or account"),
    Column("about_id", String(200), nullable=False, comment="the platform's id of the item or the account"),
    Column("state", String(16), nullable=False, comment="open or decided"),
    Column("opened_at", BigInteger, nullable=False, comment="µs: when its first notice was received"),
    Column("notices", Integer, nullable=False, comment="how many notices it gathers"),
    Column("decided_at", BigInteger, nullable=True, comment="µs; null: not decided (decisions: issue 26 part 2)"),
    Column("decision", Text, nullable=True, comment="JSON of the case's decision; null: not decided"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_notice_cases_subject", "platform_id", "about_kind", "about_id", "state"),
    comment="Cases: the notices about one item or one account open at the same time, decided together.",
)

notices = Table(
    "notices",
    metadata,
    Column("id", String(40), primary_key=True, comment="ntc_..., in the order received"),
    Column("operator_id", String(63), nullable=False),
    Column("platform_id", String(63), nullable=False),
    Column("case_id", String(40), nullable=False, index=True, comment="the case it joined"),
    Column("about_kind", String(16), nullable=False, comment="item or account"),
    Column("about_id", String(200), nullable=False),
    Column("state", String(16), nullable=False, comment="open or decided"),
    Column("category", String(80), nullable=False, comment="STATEMENT_CATEGORY_* (may be NOT_SPECIFIED_NOTICE)"),
    Column("illegal", Boolean, nullable=False, comment="alleges illegal content (else a breach of the terms)"),
    Column("channel", String(16), nullable=False, comment="api, web, email or letter"),
    Column("source", String(32), nullable=False, comment="article_16 (trusted_flagger: a later issue)"),
    Column("notifier", String(40), nullable=False, comment="reference into notice_notifiers (personal data)"),
    Column("notifier_kind", String(16), nullable=False, comment="individual or entity"),
    Column("received_at", BigInteger, nullable=False, comment="µs"),
    Column("receipt_id", String(40), nullable=False, comment="rcp_...: the receipt recorded for the notifier"),
    Column("receipt_language", String(8), nullable=False),
    Column("receipt_text", Text, nullable=False, comment="the receipt (art. 16(4)): no personal data"),
    Column("explanation_ref", String(40), nullable=False, comment="reference into personal_data"),
    Column("location_ref", String(40), nullable=False, comment="reference into personal_data"),
    Column("legal_ground_ref", String(40), nullable=True, comment="reference into personal_data; null: not illegal"),
    Column("decided_at", BigInteger, nullable=True, comment="µs (decisions: issue 26 part 2)"),
    Column("reply_ref", String(40), nullable=True, comment="the reply to the notifier (personal_data), part 2"),
    Column("disclose_notifier", Boolean, nullable=True, comment="art. 17(3)(b) decision; null: not decided"),
    Column("disclosure_reason_ref", String(40), nullable=True, comment="why disclosed (personal_data), part 2"),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_notices_operator_state", "operator_id", "state", "received_at", "created_seq"),
    Index("ix_notices_platform_category", "platform_id", "category", "received_at", "created_seq"),
    comment="Notices (DSA art. 16): ids, codes and references; the notifier's data is beside the log.",
)

notice_notifiers = Table(
    "notice_notifiers",
    metadata,
    Column("id", String(40), primary_key=True, comment="the reference the events carry (ntf_...)"),
    Column("notice_id", String(40), nullable=False, index=True),
    Column("operator_id", String(63), nullable=False),
    Column("name", String(200), nullable=True, comment="null when not given (art. 16(2)(c)) or erased"),
    Column("email", String(320), nullable=True, comment="null when not given or erased"),
    Column("created_at", BigInteger, nullable=False, comment="µs"),
    Column("name_sha256", String(64), nullable=True, comment="SHA-256 of the name, once erased"),
    Column("email_sha256", String(64), nullable=True, comment="SHA-256 of the e-mail, once erased"),
    Column("erased_at", BigInteger, nullable=True, comment="µs; null: not erased"),
    Column("erased_by", String(200), nullable=True, comment="the actor, by id"),
    Index("ix_notice_notifiers_operator_email", "operator_id", "email"),
    comment="Personal data of notifiers: never in the event log, exports, webhooks or logs. "
    "Written beside the event that references it; not rebuilt from the log.",
)

#: Rebuilt from the log like the others.
PROJECTIONS = (*PROJECTIONS, notice_cases, notices)
