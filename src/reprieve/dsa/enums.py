"""The Transparency Database's enumerations, schema v2 (mandatory since 1 July 2025).

Copied from the database's own source and documentation (digital-services-act/transparency-database:
``app/Models/Statement.php`` constants, ``resources/.../api-documentation`` lists, and
``app/Services/EuropeanCountriesService.php``); docs/transparency.md says which rule comes from where.
"""

from __future__ import annotations

DECISION_VISIBILITIES = frozenset(
    {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
)
DECISION_MONETARIES = frozenset(
    {
        "DECISION_MONETARY_SUSPENSION",
        "DECISION_MONETARY_TERMINATION",
        "DECISION_MONETARY_OTHER",
    }
)
DECISION_PROVISIONS = frozenset(
    {
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    }
)
DECISION_ACCOUNTS = frozenset({"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"})
ACCOUNT_TYPES = frozenset({"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"})
DECISION_GROUNDS = frozenset({"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"})
YES_NO = frozenset({"Yes", "No"})
CONTENT_TYPES = frozenset(
    {
        "CONTENT_TYPE_APP",
        "CONTENT_TYPE_AUDIO",
        "CONTENT_TYPE_IMAGE",
        "CONTENT_TYPE_PRODUCT",
        "CONTENT_TYPE_SYNTHETIC_MEDIA",
        "CONTENT_TYPE_TEXT",
        "CONTENT_TYPE_VIDEO",
        "CONTENT_TYPE_OTHER",
    }
)
SOURCE_TYPES = frozenset(
    {
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    }
)
AUTOMATED_DECISIONS = frozenset(
    {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
)

#: The v2 categories (the same list as ``reprieve.domain.reason.CATEGORIES``).
STATEMENT_CATEGORIES = frozenset(
    "STATEMENT_CATEGORY_" + name
    for name in (
        "ANIMAL_WELFARE",
        "CONSUMER_INFORMATION",
        "CYBER_VIOLENCE",
        "CYBER_VIOLENCE_AGAINST_WOMEN",
        "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "ILLEGAL_OR_HARMFUL_SPEECH",
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "NOT_SPECIFIED_NOTICE",
        "OTHER_VIOLATION_TC",
        "PROTECTION_OF_MINORS",
        "RISK_FOR_PUBLIC_SECURITY",
        "SCAMS_AND_FRAUD",
        "SELF_HARM",
        "UNSAFE_AND_PROHIBITED_PRODUCTS",
        "VIOLENCE",
    )
)

#: The v2 keywords (``category_specification``), as the API documentation lists them.
KEYWORDS = frozenset(
    "KEYWORD_" + name
    for name in (
        "ANIMAL_HARM",
        "ADULT_SEXUAL_MATERIAL",
        "AGE_SPECIFIC_RESTRICTIONS",
        "AGE_SPECIFIC_RESTRICTIONS_MINORS",
        "BIOMETRIC_DATA_BREACH",
        "BULLYING_AGAINST_GIRLS",
        "CHILD_SEXUAL_ABUSE_MATERIAL",
        "CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
        "CONTENT_PROMOTING_EATING_DISORDERS",
        "COORDINATED_HARM",
        "COPYRIGHT_INFRINGEMENT",
        "CYBER_BULLYING_INTIMIDATION",
        "CYBER_HARASSMENT",
        "CYBER_HARASSMENT_AGAINST_WOMEN",
        "CYBER_INCITEMENT",
        "CYBER_STALKING",
        "CYBER_STALKING_AGAINST_WOMEN",
        "DATA_FALSIFICATION",
        "DEFAMATION",
        "DESIGN_INFRINGEMENT",
        "DISCRIMINATION",
        "MISINFORMATION_DISINFORMATION",
        "FEMALE_GENDERED_DISINFORMATION",
        "GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
        "GEOGRAPHICAL_REQUIREMENTS",
        "GOODS_SERVICES_NOT_PERMITTED",
        "GROOMING_SEXUAL_ENTICEMENT_MINORS",
        "HATE_SPEECH",
        "HIDDEN_ADVERTISEMENT",
        "HUMAN_EXPLOITATION",
        "HUMAN_TRAFFICKING",
        "ILLEGAL_ORGANIZATIONS",
        "IMPERSONATION_ACCOUNT_HIJACKING",
        "INAUTHENTIC_ACCOUNTS",
        "INAUTHENTIC_LISTINGS",
        "INAUTHENTIC_USER_REVIEWS",
        "INCITEMENT_AGAINST_WOMEN",
        "INCITEMENT_VIOLENCE_HATRED",
        "INSUFFICIENT_INFORMATION_ON_TRADERS",
        "LANGUAGE_REQUIREMENTS",
        "MISLEADING_INFO_CONSUMER_RIGHTS",
        "MISLEADING_INFO_GOODS_SERVICES",
        "MISSING_PROCESSING_GROUND",
        "NON_CONSENSUAL_IMAGE_SHARING",
        "NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
        "NON_CONSENSUAL_MATERIAL_DEEPFAKE",
        "NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
        "NONCOMPLIANCE_PRICING",
        "NUDITY",
        "PATENT_INFRINGEMENT",
        "PHISHING",
        "PROHIBITED_PRODUCTS",
        "PYRAMID_SCHEMES",
        "RIGHT_TO_BE_FORGOTTEN",
        "RISK_ENVIRONMENTAL_DAMAGE",
        "RISK_PUBLIC_HEALTH",
        "SELF_MUTILATION",
        "STALKING",
        "SUICIDE",
        "TERRORIST_CONTENT",
        "TRADE_SECRET_INFRINGEMENT",
        "TRADEMARK_INFRINGEMENT",
        "TRAFFICKING_WOMEN_GIRLS",
        "UNLAWFUL_SALE_ANIMALS",
        "UNSAFE_CHALLENGES",
        "UNSAFE_PRODUCTS",
        "VIOLATION_EU_LAW",
        "VIOLATION_NATIONAL_LAW",
        "OTHER",
    )
)

#: ``EuropeanCountriesService::EUROPEAN_COUNTRY_CODES``: the EU 27 and Iceland, Liechtenstein, Norway.
EEA_COUNTRIES = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)
EEA_SET = frozenset(EEA_COUNTRIES)

#: Every field of a statement the store endpoints read (``GroupedSubmissionsService::multi_rules``).
FIELDS = frozenset(
    {
        "decision_visibility",
        "decision_visibility_other",
        "end_date_visibility_restriction",
        "decision_monetary",
        "decision_monetary_other",
        "end_date_monetary_restriction",
        "decision_provision",
        "end_date_service_restriction",
        "decision_account",
        "end_date_account_restriction",
        "account_type",
        "decision_ground",
        "decision_ground_reference_url",
        "illegal_content_legal_ground",
        "illegal_content_explanation",
        "incompatible_content_ground",
        "incompatible_content_explanation",
        "incompatible_content_illegal",
        "category",
        "category_addition",
        "category_specification",
        "category_specification_other",
        "content_type",
        "content_type_other",
        "content_language",
        "content_date",
        "content_id",
        "territorial_scope",
        "application_date",
        "decision_facts",
        "source_type",
        "source_identity",
        "automated_detection",
        "automated_decision",
        "puid",
    }
)
