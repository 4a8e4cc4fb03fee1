"""DSA transparency: statements of reasons (art. 17), the Transparency Database (art. 24(5)), reports (art. 15, 24).

``statement`` writes the user's statement of reasons; ``tdb`` maps a sanction onto a Transparency
Database statement (API JSON and the daily-dump CSV); ``validate`` applies the database's own rules;
``submit`` sends batches; ``report`` computes the transparency report; ``pages`` renders HTML.
"""
