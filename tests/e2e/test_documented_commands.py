"""Every shell command of README.md and docs/*.md, run as it is written, against the demo database.

What counts as a command: each line of a fenced block marked ``sh``, ``bash``, ``shell`` or
``console`` (in ``console`` blocks, the lines after a ``$ `` prompt). Lines ending in ``\\`` go
on; ``;`` separates two commands; ``# ...`` is a comment. Plain ````` blocks (synopses such as
``--backend sqlite|postgresql``, output, JSON) are not run: write a runnable command in a ``sh``
block, a shape in a plain one.

How they run, one document after the other (README.md first), each in its order:

* against one fresh SQLite database holding the demo story (``reprieve demo``), made once:
  ``REPRIEVE_DATABASE_URL`` names it, the virtual environment's ``bin`` is first on ``PATH``,
  and the working directory is a scratch one whose ``.venv`` is this test's environment;
* ``reprieve ...`` (or ``.venv/bin/reprieve ...``) in this process, through ``reprieve.cli.main``,
  as the ``reprieve`` script would (a process each would cost a second of start-up);
* shell lines (``NAME=$(...)``, ``export``, ``. .venv/bin/activate``, ``curl``, ``make help``) in
  ``bash``; ``NAME=`` and ``export`` carry on to the rest of that document, and ``curl`` talks to
  a server this test starts once over the same database (``http://127.0.0.1:8000`` is rewritten
  to its address). A curl answer that is a problem (``"status": 4xx/5xx``) fails;
* a placeholder ``<...>`` is filled from what came before, as a reader would: ``<version ...>``
  from the last ``version`` line printed, ``<sanction id>`` (``review``, ``appeal``, ...) from the
  last id of that kind printed in the document, any other (``<id>``, ``<id from the list>``) from
  the first id the previous command printed; the same placeholder again in the same block is the
  same value.

A command must exit 0, unless its comment says otherwise (``# exits 1``). The few that are not
run are in ``NOT_RUN`` with the reason; an entry that matches no command fails the test.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e.live_server import uvicorn_server
from reprieve.cli import main
from reprieve.demo import load_demo
from reprieve.store.db import open_database

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_BLOCKS = {"sh", "bash", "shell", "console"}
#: What the docs' examples call the server; the test's own server answers in its place.
DOCUMENTED_SERVER = "http://127.0.0.1:8000"
#: An id as the CLI prints it: a kind prefix and a ULID (``snc_01EVES70005W0PBRARG2015F16``, ``cd_...``).
ID = re.compile(r"\b([a-z]{2,3})_[0-9A-HJKMNP-TV-Z]{26}\b")
PREFIXES = {
    "sanction": "snc",
    "review": "rvw",
    "appeal": "apl",
    "amnesty": "amn",
    "member": "mem",
    "webhook": "whk",
    "token": "tok",
    "identity": "idn",
    "content decision": "cd",
    "notice": "ntc",
    "case": "cas",
}
#: Read by ``reprieve member create|password --password-stdin``.
PASSWORD = "a documented password, long enough\n"


def _cli_has_yes() -> bool:
    """``--yes`` on the bulk commands (``amnesty create``, ``amnesty revert``) comes with the CLI's
    confirmation change; until it is in this tree, the documented commands that carry it are not run."""
    code, out, _ = run_reprieve(["amnesty", "create", "--help"])
    return code == 0 and "--yes" in out


#: Commands not run, each with why: (a pattern matched against the command as written, the reason).
#: An entry that matches nothing fails the test, so the list stays as short as the docs need.
NOT_RUN: list[tuple[str, str]] = [
    (
        r"^make (run|serve)\b",
        "a server that runs until stopped; the demo it loads is this test's database, and "
        "the server it starts is the one the curl commands here talk to (tests/e2e/test_cli_serve.py: a busy port)",
    ),
    (r"^make test\b", "the whole test suite, this test included (.ci/run runs it)"),
    (r"^make browser-deps\b", "installs Debian's chromium (apt-get, as root) when it is missing"),
    (r"^(\.venv/bin/)?pytest\b", "the test suite itself"),
    (r"^(\.venv/bin/)?python3? bench/", "a benchmark: minutes and large databases (docs/benchmarks.md)"),
    (
        r"^reprieve worker( --nats-url \S+)?$",
        "runs until stopped (Ctrl-C); `reprieve worker --once`, documented in "
        "docs/worker.md, runs the same cycle once and is run here",
    ),
    (
        r"^reprieve transparency submit\b",
        "sends to the European Commission's Transparency Database "
        "(REPRIEVE_TDB_URL): nothing leaves the machine in a test; tests/dsa/test_submit.py runs it against a fake",
    ),
    # --yes arrives with the CLI change (confirmation of bulk commands); run once it is in the tree.
    (r"^reprieve amnesty (create|revert)\b.*--yes", "needs --yes, which arrives with the CLI change"),
]


@dataclass(frozen=True)
class Command:
    where: str  # README.md:42
    text: str  # as written: continuation lines joined, the comment left out
    comment: str
    block: int  # the line of the fence that opens its block


@dataclass
class Outcome:
    command: Command
    code: int | None = None  # None: not run
    out: str = ""
    err: str = ""
    skipped: str = ""


@dataclass
class Session:
    """What one document's commands share: the variables they set and what they printed."""

    env: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    filled: dict[tuple[int, str], str] = field(default_factory=dict)  # (block, placeholder) -> value


# --- reading the documents ---------------------------------------------------------------


def _comment_at(line: str) -> int:
    """Where the shell comment of ``line`` begins (``len(line)`` if none): a ``#`` that starts a
    word outside quotes."""
    quote = ""
    escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return i
    return len(line)


def _split_sequence(text: str) -> list[str]:
    """``a; b`` is two commands (a ``;`` outside quotes and ``$(...)``)."""
    parts, start, quote, depth = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif text.startswith("$(", i):
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char == ";" and not depth:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def documented_commands(path: Path) -> list[Command]:
    name = path.relative_to(REPO).as_posix()
    commands: list[Command] = []
    block: str | None = None
    pending, first, fence = "", 0, 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            block = (stripped[3:].split() or [""])[0] if block is None else None
            fence = number
            continue
        if block not in SHELL_BLOCKS:
            continue
        if block == "console" and not pending:
            if not stripped.startswith("$ "):
                continue  # output
            stripped = stripped[2:]
        if not pending:
            first = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole, pending = pending + stripped, ""
        cut = _comment_at(whole)
        comment = whole[cut:].lstrip("# ").strip()
        for text in _split_sequence(whole[:cut]):
            commands.append(Command(f"{name}:{first}", text, comment, fence))
    return commands


def test_the_documents_have_commands_and_each_is_read_whole() -> None:
    """The reader finds what a person reads: the README's tour, continued lines joined, comments apart."""
    readme = documented_commands(REPO / "README.md")
    texts = [c.text for c in readme]
    assert "reprieve audit verify" in texts
    create = next(c for c in readme if c.text.startswith("reprieve sanction create"))
    assert '--explanation "Sold counterfeit tickets"' in create.text and "\\" not in create.text
    assert any(c.comment for c in readme) and all("#" not in c.text for c in readme if "'*'" not in c.text)
    assert sum(len(documented_commands(p)) for p in DOCUMENTS) > 50
    assert _split_sequence('reprieve a <id>; reprieve b "x; y"') == ["reprieve a <id>", 'reprieve b "x; y"']
    assert _comment_at("curl -H 'a #b' x  # c") == len("curl -H 'a #b' x  ")


# --- running them ------------------------------------------------------------------------


def run_reprieve(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    """``reprieve ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)  # a confirmation prompt answers "no" rather than waiting
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


@dataclass
class World:
    url: str  # the demo database
    workdir: Path
    env: dict[str, str]
    server: str | None = None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo database, a scratch working directory, and the server the curl commands talk to."""
    from reprieve.api.app import app_from_settings
    from reprieve.api.enforcement import attach_index
    from reprieve.config import load_settings

    root = tmp_path_factory.mktemp("documented")
    url = f"sqlite:///{root / 'reprieve.db'}"
    db = open_database(url)
    load_demo(db, synthetic=300, progress=lambda _: None)  # the story; fewer synthetic sanctions than make run
    workdir = root / "work"
    workdir.mkdir()
    bin_dir = Path(sys.executable).parent
    (workdir / ".venv").symlink_to(bin_dir.parent, target_is_directory=True)
    env = dict(os.environ, REPRIEVE_DATABASE_URL=url, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("VIRTUAL_ENV", None)
    server = uvicorn_server(attach_index(app_from_settings(db, load_settings()), db))
    thread = threading.Thread(target=server.run, name="documented-server", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=60) or not server.started:
            pytest.fail("the server for the documented curl commands did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield World(url, workdir, env, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        db.dispose()


def _expected_exit(command: Command) -> int:
    said = re.search(r"\bexits? (\d+)\b", command.comment)
    return int(said.group(1)) if said else 0


class DependsOnSkipped(ValueError):
    """A placeholder to be filled from a command that was not run (so this one is not run either)."""


def _fill(command: Command, session: Session) -> str:
    """The command with its placeholders filled from what came before; ValueError if one cannot be."""
    ran = [o for o in session.outcomes if o.code is not None]

    def value(match: re.Match[str]) -> str:
        key = (command.block, match.group(0))
        if key not in session.filled:
            session.filled[key] = first_value(match)
        return session.filled[key]

    def first_value(match: re.Match[str]) -> str:
        words = match.group(1).lower()
        if "version" in words:
            for outcome in reversed(ran):
                found = re.search(r"^version\s+(\d+)\s*$", outcome.out, re.MULTILINE)
                if found:
                    return found.group(1)
            raise ValueError(f"no version printed before {match.group(0)}")
        kinds = [prefix for word, prefix in PREFIXES.items() if word in words]
        if kinds:
            for outcome in reversed(ran):
                ids = [m.group(0) for m in ID.finditer(outcome.out) if m.group(1) == kinds[0]]
                if ids:
                    return ids[0]
            raise ValueError(f"no {kinds[0]}_ id printed before {match.group(0)}")
        previous = session.outcomes[-1] if session.outcomes else None
        if previous is not None and previous.code is None:
            raise DependsOnSkipped(f"{match.group(0)} comes from a command not run: {previous.command.text}")
        if previous is None:
            raise ValueError(f"no command before {match.group(0)}")
        found = ID.search(previous.out)
        if not found:
            raise ValueError(f"the command before printed no id for {match.group(0)}")
        return found.group(0)

    return re.sub(r"<([^<>]+)>", value, command.text)


def _problem(body: str) -> str | None:
    """The title of an HTTP problem in a curl answer, or None."""
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if isinstance(answer, dict) and isinstance(answer.get("status"), int) and answer["status"] >= 400:
        return f"{answer['status']} {answer.get('title')}: {answer.get('detail')}"
    return None


def _run_shell(text: str, world: World, session: Session, capture: str | None = None) -> tuple[int, str, str]:
    script = text.replace(DOCUMENTED_SERVER, world.server or DOCUMENTED_SERVER)
    if capture:  # NAME=... or export NAME=...: keep the value for the rest of the document
        script += f'\nprintf "%s" "${{{capture}}}"'
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=world.workdir,
        env={**world.env, **session.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if capture and done.returncode == 0:
        session.env[capture] = done.stdout
    return done.returncode, done.stdout, done.stderr


def run_command(command: Command, world: World, session: Session, has_yes: bool) -> Outcome:
    outcome = Outcome(command)
    for pattern, reason in NOT_RUN:
        if re.search(pattern, command.text) and (has_yes is False or "--yes" not in pattern):
            outcome.skipped = reason
            return outcome
    try:
        text = _fill(command, session)
    except DependsOnSkipped as exc:
        outcome.skipped = str(exc)
        return outcome
    except ValueError as exc:
        outcome.err = str(exc)
        outcome.code = -1
        return outcome
    words = shlex.split(text)
    assignment = re.match(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", text)
    if words[0] in ("reprieve", ".venv/bin/reprieve") and not re.search(r"[$|<>`]", text):
        stdin = PASSWORD if "--password-stdin" in words else ""
        saved = {k: os.environ.get(k) for k in session.env}
        os.environ.update(session.env)
        cwd = Path.cwd()
        os.chdir(world.workdir)
        try:
            outcome.code, outcome.out, outcome.err = run_reprieve(words[1:], stdin)
        finally:
            os.chdir(cwd)
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
    elif assignment:
        outcome.code, outcome.out, outcome.err = _run_shell(text, world, session, capture=assignment.group(1))
    elif words[0] in (".", "source", "curl") or words[:2] == ["make", "help"]:
        if words[0] == "make":
            done = subprocess.run(["make", "help"], cwd=REPO, capture_output=True, text=True, timeout=60)
            outcome.code, outcome.out, outcome.err = done.returncode, done.stdout, done.stderr
        else:
            outcome.code, outcome.out, outcome.err = _run_shell(text, world, session)
        if words[0] == "curl" and outcome.code == 0 and _problem(outcome.out):
            outcome.err = f"the API answered {_problem(outcome.out)}"
            outcome.code = -1
    else:
        outcome.err = "no way to run this kind of command here: run it, or add it to NOT_RUN with the reason"
        outcome.code = -1
    return outcome


#: Names kept for documentation (RFC 2606): the docs' webhook endpoints live there. Resolving them
#: would ask the network (seconds each where no DNS answers); they resolve to nothing, at once.
DOCUMENTATION_NAMES = re.compile(r"(^|\.)(example\.(org|com|net)|example|invalid|test)\.?$", re.IGNORECASE)


def test_every_documented_command_works(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = socket.getaddrinfo

    def offline(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and DOCUMENTATION_NAMES.search(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setenv("REPRIEVE_DATABASE_URL", world.url)
    monkeypatch.setenv("PATH", world.env["PATH"])
    has_yes = _cli_has_yes()
    failures: list[str] = []
    used: set[str] = set()
    ran = skipped = 0
    started = time.perf_counter()
    for document in DOCUMENTS:
        session = Session()
        for command in documented_commands(document):
            began = time.perf_counter()
            outcome = run_command(command, world, session, has_yes)
            took = time.perf_counter() - began
            if outcome.code is None:
                print(f"not run: {command.where}: {command.text}\n    ({outcome.skipped})")
            elif took > 1:
                print(f"{took:.1f} s: {command.where}: {command.text}")
            session.outcomes.append(outcome)
            if outcome.code is None:
                skipped += 1
                used.update(p for p, reason in NOT_RUN if reason == outcome.skipped)
                continue
            ran += 1
            expected = _expected_exit(command)
            if outcome.code != expected:
                detail = (outcome.err.strip() or outcome.out.strip())[-600:]
                failures.append(
                    f"{command.where}: {command.text}\n    exit {outcome.code}, expected {expected}: {detail}"
                )
    unused = [p for p, _ in NOT_RUN if p not in used and not (has_yes and "--yes" in p)]
    failures += [f"NOT_RUN entry {p!r} matches no documented command: remove it" for p in unused]
    elapsed = time.perf_counter() - started
    print(f"\n{ran} documented commands run, {skipped} not run, in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} documented commands fail:\n" + "\n".join(failures)


def test_no_help_cites_a_document_that_is_not_there() -> None:
    """``reprieve ... --help`` names only documents a reader can open (it cited a PRODUCT.md once)."""
    import typer

    from reprieve.cli import app

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    cited: dict[str, list[str]] = {}
    for path, command in walk(typer.main.get_command(app), []):
        text = " ".join(filter(None, [command.help, *(getattr(p, "help", None) for p in command.params)]))
        for name in re.findall(r"[\w./-]+\.md\b", text):
            cited.setdefault(name, []).append(" ".join(["reprieve", *path]))
    assert "docs/operations.md" in cited  # serve --cpus: the reader does find them
    missing = {name: where for name, where in cited.items() if not (REPO / name).exists()}
    assert not missing, missing
