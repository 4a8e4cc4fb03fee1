"""The ``reprieve statement`` and ``reprieve transparency`` commands, run in-process as typed."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from dsa_support import impose_golden
from fake_tdb import TOKEN, fake_database

from reprieve.cli import main
from reprieve.dsa import tdb
from reprieve.store.db import Database


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(["--database-url", url, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_statement_export_report_and_submit(
    db: Database,
    database_url: str,
    meta: str,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = impose_golden(db, now)
    code, out, _ = run(capsys, database_url, "statement", ids["termination"], "--lang", "fr")
    assert code == 0 and "Exposé des motifs" in out and "Code de recours" in out
    assert "Catégorie: " in out and "STATEMENT_CATEGORY_" not in out  # the category in words
    code, out, _ = run(capsys, database_url, "statement", ids["termination"], "--json")
    assert code == 0 and json.loads(out)["ground"]["type"] == "illegal_content"
    assert json.loads(out)["category"].startswith("STATEMENT_CATEGORY_")  # the data keeps the constant

    code, out, err = run(capsys, database_url, "transparency", "export", "--operator", "meta", "--format", "csv")
    assert code == 0 and list(next(csv.reader(io.StringIO(out)))) == list(tdb.CSV_COLUMNS)
    assert len(out.strip().split("\r\n")) == 4 and "left out 1 warnings and 0 invalid" in err

    code, out, _ = run(
        capsys,
        database_url,
        "transparency",
        "report",
        "--operator",
        "meta",
        "--from",
        "2024-01-01",
        "--to",
        "2025-01-01",
        "--format",
        "csv",
    )
    assert code == 0 and "sanctions,total,4" in out

    with fake_database() as (fake, base):
        monkeypatch.setenv("REPRIEVE_TDB_URL", base)
        monkeypatch.setenv("REPRIEVE_TDB_TOKEN", TOKEN)  # the only operator: the installation's token
        code, out, err = run(capsys, database_url, "transparency", "submit", "--operator", "meta")
        assert code == 0, err
        done = json.loads(out)
        assert done["state"] == "done" and done["progress"]["accepted"] == 3 and len(fake.stored) == 3
        assert "1 batches, 3 accepted" in err  # the progress line
        code, out, _ = run(capsys, database_url, "transparency", "submit", "--operator", "meta")
        assert json.loads(out)["progress"]["skipped"] == 3 and len(fake.posts) == 1
        code, out, _ = run(capsys, database_url, "transparency", "status", "--operator", "meta")
        assert code == 0 and json.loads(out)["states"] == {"accepted": 3} and len(json.loads(out)["runs"]) == 2
        code, out, _ = run(capsys, database_url, "transparency", "status", "--operator", "meta", "--run", done["id"])
        assert code == 0 and json.loads(out)["statements"] == {"accepted": 3}


@pytest.mark.parametrize(
    "args",
    [
        ("statement", "snc_missing"),
        ("statement", "snc_missing", "--lang", "de"),
        ("transparency", "export", "--operator", "nobody"),
        ("transparency", "export", "--operator", "meta", "--from", "soon"),
        ("transparency", "report", "--operator", "meta", "--from", "2024-02-01", "--to", "2024-01-01"),
        (
            "transparency",
            "report",
            "--operator",
            "meta",
            "--from",
            "2024-01-01",
            "--to",
            "2024-02-01",
            "--format",
            "pdf",
        ),
        ("transparency", "submit", "--operator", "meta"),  # off: REPRIEVE_TDB_URL is unset
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    database_url: str,
    meta: str,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REPRIEVE_TDB_URL", raising=False)
    code, out, err = run(capsys, database_url, *args)
    assert code == 1 and out == "" and err.startswith("error: ") and err.count("\n") == 1, (code, out, err)


def test_export_to_a_file_and_bad_input_creates_none(
    db: Database,
    database_url: str,
    meta: str,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    impose_golden(db, now)
    refused = tmp_path / "refused.csv"
    code, _, _ = run(
        capsys, database_url, "transparency", "export", "--operator", "meta", "--format", "xml", "-o", str(refused)
    )
    assert code == 1 and not refused.exists()
    written = tmp_path / "sor.json"
    code, out, _ = run(
        capsys, database_url, "transparency", "export", "--operator", "meta", "--format", "json", "-o", str(written)
    )
    assert code == 0 and out == "" and len(json.loads(written.read_text())["statements"]) == 3
