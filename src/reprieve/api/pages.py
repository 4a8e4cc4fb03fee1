"""The API's two HTML pages: ``/``, a landing page that says where everything is, and ``/docs``,
Swagger UI from the vendored files of ``api/static/swagger`` (nothing from a CDN).

Both are plain HTML with no inline script or style, so they are served under the console's
strict Content-Security-Policy (``web.security.SecurityHeaders`` adds it to every HTML answer).
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from reprieve import __version__
from reprieve.web.rendering import STATIC_PREFIX

DOCS_STATIC = "/docs/static"

router = APIRouter(include_in_schema=False)


def swagger_directory() -> Path:
    return Path(str(resources.files("reprieve.api").joinpath("static", "swagger")))


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, started by ``swagger-init.js`` (no inline script)."""
    base = _base(request)
    static = escape(base + DOCS_STATIC)
    openapi_url = escape(base + str(request.app.openapi_url or "/openapi.json"))
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reprieve API {escape(__version__)} – documentation</title>
<link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
<link rel="stylesheet" href="{static}/swagger-ui.css">
<link rel="stylesheet" href="{static}/docs.css">
</head>
<body>
<main id="swagger-ui" data-openapi-url="{openapi_url}"></main>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-init.js"></script>
</body>
</html>
"""
    return HTMLResponse(page)


#: The landing page's words, by language (the language of ``Accept-Language``, else English).
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Reprieve",
        "lead": "Reprieve records what a platform decided against an account, answers "
        "“may this account do X right now?”, and keeps a tamper-evident log of every change.",
        "for_people": "For people",
        "console": "The console",
        "console_hint": "for moderators, reviewers, auditors and administrators (sign-in required)",
        "appeal": "Appeal a decision",
        "appeal_hint": "the public form for someone who received a statement of reasons",
        "notice": "Report content",
        "notice_hint": "the public form to report illegal content or a breach of the terms (DSA art. 16)",
        "for_programs": "For programs",
        "docs": "API documentation",
        "docs_hint": "every operation, with examples, to try from the browser",
        "openapi": "OpenAPI document",
        "openapi_hint": "the same, as JSON, for client generators",
        "health": "Health",
        "healthz_hint": "the process answers",
        "readyz_hint": "ready to serve: database reachable, index built",
        "version": "Version",
    },
    "fr": {
        "title": "Reprieve",
        "lead": "Reprieve enregistre ce qu’une plateforme a décidé contre un compte, répond à "
        "« ce compte peut-il faire X maintenant ? » et tient un journal infalsifiable de chaque changement.",
        "for_people": "Pour les personnes",
        "console": "La console",
        "console_hint": "pour les modérateurs, évaluateurs, auditeurs et administrateurs (connexion requise)",
        "appeal": "Contester une décision",
        "appeal_hint": "le formulaire public pour qui a reçu un exposé des motifs",
        "notice": "Signaler un contenu",
        "notice_hint": "le formulaire public pour signaler un contenu illicite ou contraire aux conditions "
        "(DSA art. 16)",
        "for_programs": "Pour les programmes",
        "docs": "Documentation de l’API",
        "docs_hint": "chaque opération, avec des exemples, à essayer depuis le navigateur",
        "openapi": "Document OpenAPI",
        "openapi_hint": "la même, en JSON, pour les générateurs de clients",
        "health": "Santé",
        "healthz_hint": "le processus répond",
        "readyz_hint": "prêt à servir : base de données joignable, index construit",
        "version": "Version",
    },
}


def _language(request: Request) -> str:
    """``?lang=``, else the first language of ``Accept-Language`` that the page has, else English."""
    asked = request.query_params.get("lang")
    if asked in _WORDS:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in _WORDS:
            return code
    return "en"


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    """Where everything is: the console, the public appeal form, the API's docs and health."""
    lang = _language(request)
    w = {key: escape(value) for key, value in _WORDS[lang].items()}
    base = escape(_base(request))

    def item(path: str, label: str, hint: str) -> str:
        shown = "" if label == path else f" <code>{path}</code>"
        return f'<li><a href="{base}{path}">{label}</a>{shown} – {hint}</li>'

    page = f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{w["title"]}</title>
<link rel="icon" href="{base}{STATIC_PREFIX}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{base}{STATIC_PREFIX}/console.css">
</head>
<body>
<main id="main" class="landing">
<h1>{w["title"]}</h1>
<p>{w["lead"]}</p>
<h2>{w["for_people"]}</h2>
<ul>
{item("/console", w["console"], w["console_hint"])}
{item("/appeal", w["appeal"], w["appeal_hint"])}
{item("/notice", w["notice"], w["notice_hint"])}
</ul>
<h2>{w["for_programs"]}</h2>
<ul>
{item("/docs", w["docs"], w["docs_hint"])}
{item("/openapi.json", w["openapi"], w["openapi_hint"])}
</ul>
<h2>{w["health"]}</h2>
<ul>
{item("/healthz", "/healthz", w["healthz_hint"])}
{item("/readyz", "/readyz", w["readyz_hint"])}
</ul>
<p>{w["version"]} {escape(__version__)}</p>
</main>
</body>
</html>
"""
    return HTMLResponse(page, headers={"Content-Language": lang, "Vary": "Accept-Language"})


def mount_pages(app: FastAPI) -> None:
    """Serve ``/``, ``/docs`` and the vendored Swagger UI files under ``/docs/static``."""
    app.mount(DOCS_STATIC, StaticFiles(directory=swagger_directory()), name="docs-static")
    app.include_router(router)
