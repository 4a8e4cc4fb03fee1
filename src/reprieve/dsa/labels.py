"""What a person reads for each Transparency Database constant, in English and in French.

The English labels are the Transparency Database's own (its ``Statement`` model and API
documentation); the French ones follow the French version of the DSA. The constants stay what is
stored and exported (``tdb.py`` sends them as they are): only pages and statements show labels.
``label("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "fr")`` gives "Escroqueries et fraudes"; a value with
no label (a free text, an unknown constant) is given back as it is.
"""

from __future__ import annotations

#: constant -> (English, French)
CATEGORIES: dict[str, tuple[str, str]] = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE": ("Animal welfare", "Bien-être animal"),
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION": (
        "Consumer information infringements",
        "Atteintes à l'information des consommateurs",
    ),
    "STATEMENT_CATEGORY_CYBER_VIOLENCE": ("Cyber violence", "Cyberviolence"),
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN": (
        "Cyber violence against women",
        "Cyberviolence à l'égard des femmes",
    ),
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": (
        "Data protection and privacy violations",
        "Atteintes à la protection des données et à la vie privée",
    ),
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": (
        "Illegal or harmful speech",
        "Discours illicites ou préjudiciables",
    ),
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": (
        "Intellectual property infringements",
        "Atteintes à la propriété intellectuelle",
    ),
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": (
        "Negative effects on civic discourse or elections",
        "Effets négatifs sur le débat civique ou les élections",
    ),
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE": ("Not specified in the notice", "Non précisé dans la notification"),
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": (
        "Other violation of the provider's terms and conditions",
        "Autre violation des conditions générales du fournisseur",
    ),
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": ("Protection of minors", "Protection des mineurs"),
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": ("Risk for public security", "Risque pour la sécurité publique"),
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": ("Scams and fraud", "Escroqueries et fraudes"),
    "STATEMENT_CATEGORY_SELF_HARM": ("Self-harm", "Automutilation"),
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": (
        "Unsafe and prohibited products",
        "Produits dangereux et interdits",
    ),
    "STATEMENT_CATEGORY_VIOLENCE": ("Violence", "Violence"),
}

KEYWORDS: dict[str, tuple[str, str]] = {
    "KEYWORD_ANIMAL_HARM": ("Animal harm", "Maltraitance animale"),
    "KEYWORD_ADULT_SEXUAL_MATERIAL": ("Adult sexual material", "Contenu sexuel pour adultes"),
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS": ("Age-specific restrictions", "Restrictions liées à l'âge"),
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS": (
        "Age-specific restrictions concerning minors",
        "Restrictions liées à l'âge concernant les mineurs",
    ),
    "KEYWORD_BIOMETRIC_DATA_BREACH": ("Biometric data breach", "Atteinte aux données biométriques"),
    "KEYWORD_BULLYING_AGAINST_GIRLS": ("Bullying against girls", "Harcèlement visant les filles"),
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL": ("Child sexual abuse material", "Matériel pédopornographique"),
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE": (
        "Child sexual abuse material (deepfake)",
        "Matériel pédopornographique (hypertrucage)",
    ),
    "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS": (
        "Content promoting eating disorders",
        "Contenu promouvant les troubles alimentaires",
    ),
    "KEYWORD_COORDINATED_HARM": ("Coordinated harm", "Préjudice coordonné"),
    "KEYWORD_COPYRIGHT_INFRINGEMENT": ("Copyright infringement", "Atteinte au droit d'auteur"),
    "KEYWORD_CYBER_BULLYING_INTIMIDATION": ("Cyber bullying and intimidation", "Cyberharcèlement et intimidation"),
    "KEYWORD_CYBER_HARASSMENT": ("Cyber harassment", "Cyberharcèlement"),
    "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN": (
        "Cyber harassment against women",
        "Cyberharcèlement à l'égard des femmes",
    ),
    "KEYWORD_CYBER_INCITEMENT": (
        "Cyber incitement to hatred or violence",
        "Incitation en ligne à la haine ou à la violence",
    ),
    "KEYWORD_CYBER_STALKING": ("Cyber stalking", "Cybertraque"),
    "KEYWORD_CYBER_STALKING_AGAINST_WOMEN": ("Cyber stalking against women", "Cybertraque à l'égard des femmes"),
    "KEYWORD_DATA_FALSIFICATION": ("Data falsification", "Falsification de données"),
    "KEYWORD_DEFAMATION": ("Defamation", "Diffamation"),
    "KEYWORD_DESIGN_INFRINGEMENT": ("Design infringement", "Atteinte aux dessins et modèles"),
    "KEYWORD_DISCRIMINATION": ("Discrimination", "Discrimination"),
    "KEYWORD_MISINFORMATION_DISINFORMATION": ("Misinformation and disinformation", "Mésinformation et désinformation"),
    "KEYWORD_FEMALE_GENDERED_DISINFORMATION": (
        "Gendered disinformation against women",
        "Désinformation genrée visant les femmes",
    ),
    "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT": (
        "Geographical indications infringement",
        "Atteinte aux indications géographiques",
    ),
    "KEYWORD_GEOGRAPHICAL_REQUIREMENTS": ("Geographical requirements", "Exigences géographiques"),
    "KEYWORD_GOODS_SERVICES_NOT_PERMITTED": (
        "Goods or services not permitted to be offered on the platform",
        "Produits ou services non autorisés sur la plateforme",
    ),
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS": (
        "Grooming or sexual enticement of minors",
        "Pédopiégeage ou sollicitation sexuelle de mineurs",
    ),
    "KEYWORD_HATE_SPEECH": ("Hate speech", "Discours de haine"),
    "KEYWORD_HIDDEN_ADVERTISEMENT": (
        "Hidden advertisement or commercial communication",
        "Publicité ou communication commerciale dissimulée",
    ),
    "KEYWORD_HUMAN_EXPLOITATION": ("Human exploitation", "Exploitation d'êtres humains"),
    "KEYWORD_HUMAN_TRAFFICKING": ("Human trafficking", "Traite des êtres humains"),
    "KEYWORD_ILLEGAL_ORGANIZATIONS": ("Illegal organisations", "Organisations illégales"),
    "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING": (
        "Impersonation or account hijacking",
        "Usurpation d'identité ou piratage de compte",
    ),
    "KEYWORD_INAUTHENTIC_ACCOUNTS": ("Inauthentic accounts", "Comptes inauthentiques"),
    "KEYWORD_INAUTHENTIC_LISTINGS": ("Inauthentic listings", "Annonces inauthentiques"),
    "KEYWORD_INAUTHENTIC_USER_REVIEWS": ("Inauthentic user reviews", "Faux avis d'utilisateurs"),
    "KEYWORD_INCITEMENT_AGAINST_WOMEN": (
        "Incitement to violence or hatred against women",
        "Incitation à la violence ou à la haine contre les femmes",
    ),
    "KEYWORD_INCITEMENT_VIOLENCE_HATRED": (
        "Incitement to violence or hatred",
        "Incitation à la violence ou à la haine",
    ),
    "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS": (
        "Insufficient information on traders",
        "Informations insuffisantes sur les professionnels",
    ),
    "KEYWORD_LANGUAGE_REQUIREMENTS": ("Language requirements", "Exigences linguistiques"),
    "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS": (
        "Misleading information about consumer rights",
        "Informations trompeuses sur les droits des consommateurs",
    ),
    "KEYWORD_MISLEADING_INFO_GOODS_SERVICES": (
        "Misleading information about goods or services",
        "Informations trompeuses sur les produits ou services",
    ),
    "KEYWORD_MISSING_PROCESSING_GROUND": (
        "Missing processing ground for data",
        "Absence de base légale au traitement des données",
    ),
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING": ("Non-consensual image sharing", "Partage d'images sans consentement"),
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN": (
        "Non-consensual image sharing against women",
        "Partage d'images de femmes sans leur consentement",
    ),
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE": (
        "Non-consensual material (deepfake)",
        "Contenu non consenti (hypertrucage)",
    ),
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN": (
        "Non-consensual material (deepfake) against women",
        "Contenu non consenti (hypertrucage) visant des femmes",
    ),
    "KEYWORD_NONCOMPLIANCE_PRICING": (
        "Non-compliance with pricing regulations",
        "Non-respect de la réglementation des prix",
    ),
    "KEYWORD_NUDITY": ("Nudity", "Nudité"),
    "KEYWORD_PATENT_INFRINGEMENT": ("Patent infringement", "Atteinte aux brevets"),
    "KEYWORD_PHISHING": ("Phishing", "Hameçonnage"),
    "KEYWORD_PROHIBITED_PRODUCTS": ("Prohibited or restricted products", "Produits interdits ou soumis à restriction"),
    "KEYWORD_PYRAMID_SCHEMES": ("Pyramid schemes", "Ventes pyramidales"),
    "KEYWORD_RIGHT_TO_BE_FORGOTTEN": ("Right to be forgotten", "Droit à l'oubli"),
    "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE": ("Risk of environmental damage", "Risque d'atteinte à l'environnement"),
    "KEYWORD_RISK_PUBLIC_HEALTH": ("Risk for public health", "Risque pour la santé publique"),
    "KEYWORD_SELF_MUTILATION": ("Self-mutilation", "Automutilation"),
    "KEYWORD_STALKING": ("Stalking", "Traque furtive"),
    "KEYWORD_SUICIDE": ("Suicide", "Suicide"),
    "KEYWORD_TERRORIST_CONTENT": ("Terrorist content", "Contenu à caractère terroriste"),
    "KEYWORD_TRADE_SECRET_INFRINGEMENT": ("Trade secret infringement", "Atteinte au secret des affaires"),
    "KEYWORD_TRADEMARK_INFRINGEMENT": ("Trademark infringement", "Atteinte au droit des marques"),
    "KEYWORD_TRAFFICKING_WOMEN_GIRLS": ("Trafficking in women and girls", "Traite des femmes et des filles"),
    "KEYWORD_UNLAWFUL_SALE_ANIMALS": ("Unlawful sale of animals", "Vente illégale d'animaux"),
    "KEYWORD_UNSAFE_CHALLENGES": ("Unsafe challenges", "Défis dangereux"),
    "KEYWORD_UNSAFE_PRODUCTS": ("Unsafe products", "Produits dangereux"),
    "KEYWORD_VIOLATION_EU_LAW": ("Violation of EU law", "Violation du droit de l'Union"),
    "KEYWORD_VIOLATION_NATIONAL_LAW": ("Violation of national law", "Violation du droit national"),
    "KEYWORD_OTHER": ("Other", "Autre"),
}

DECISION_GROUNDS: dict[str, tuple[str, str]] = {
    "DECISION_GROUND_ILLEGAL_CONTENT": ("Illegal content", "Contenu illicite"),
    "DECISION_GROUND_INCOMPATIBLE_CONTENT": (
        "Content incompatible with the terms and conditions",
        "Contenu incompatible avec les conditions générales",
    ),
    # How Reprieve's reasons spell them (``reason.ground``).
    "illegal_content": ("Illegal content", "Contenu illicite"),
    "incompatible_content": (
        "Content incompatible with the terms and conditions",
        "Contenu incompatible avec les conditions générales",
    ),
}

CONTENT_TYPES: dict[str, tuple[str, str]] = {
    "CONTENT_TYPE_APP": ("App", "Application"),
    "CONTENT_TYPE_AUDIO": ("Audio", "Audio"),
    "CONTENT_TYPE_IMAGE": ("Image", "Image"),
    "CONTENT_TYPE_PRODUCT": ("Product", "Produit"),
    "CONTENT_TYPE_SYNTHETIC_MEDIA": ("Synthetic media", "Média synthétique"),
    "CONTENT_TYPE_TEXT": ("Text", "Texte"),
    "CONTENT_TYPE_VIDEO": ("Video", "Vidéo"),
    "CONTENT_TYPE_OTHER": ("Other", "Autre"),
}

#: The usual capabilities of a platform (``domain.model.DEFAULT_CAPABILITIES`` and those of the
#: demo's hosting and app-store platforms): what a restriction denies, in words. A platform's own
#: capability (any slug) reads as itself.
CAPABILITIES: dict[str, tuple[str, str]] = {
    "login": ("signing in", "connexion"),
    "post": ("posting", "publication"),
    "comment": ("commenting", "commentaires"),
    "message": ("messaging", "messagerie"),
    "react": ("reactions", "réactions"),
    "live": ("live video", "vidéo en direct"),
    "advertise": ("advertising", "publicité"),
    "monetize": ("monetisation", "monétisation"),
    "appeal": ("appeals", "recours"),
    "compute": ("computing", "calcul"),
    "storage": ("storage", "stockage"),
    "network": ("network", "réseau"),
    "distribute": ("distribution", "distribution"),
    "update": ("updates", "mises à jour"),
}

LABELS: dict[str, tuple[str, str]] = {**CATEGORIES, **KEYWORDS, **DECISION_GROUNDS, **CONTENT_TYPES}
_INDEX = {"en": 0, "fr": 1}


def label(value: str | None, lang: str = "en") -> str:
    """The label of a Transparency Database constant in ``lang`` (en or fr; others read English);
    anything else as it is, and empty for None."""
    if value is None:
        return ""
    found = LABELS.get(value)
    return found[_INDEX.get(lang, 0)] if found is not None else value


def capability(name: str, lang: str = "en") -> str:
    """A capability in words (``post`` -> "posting" / "publication"); an unknown one as it is."""
    found = CAPABILITIES.get(name)
    return found[_INDEX.get(lang, 0)] if found is not None else name
