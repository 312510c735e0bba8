"""`tosmon sources import-ota`: Open Terms Archive declarations (files written here, in
their public JSON format) become sources.toml documents, printed or appended."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.ota import slug, tier_of

ACME = {
    "name": "Acme AI",
    "documents": {
        "Terms of Service": {
            "fetch": "https://acme.example/terms",
            "select": "#terms",
            "remove": ["header", {"startBefore": "#promo", "endBefore": "#after-promo"}],
        },
        "Business Privacy Policy": {
            "fetch": "https://acme.example/business/privacy",
            "select": ["main", {"startAfter": "h1", "endBefore": "footer"}],
            "executeClientScripts": True,
            "filter": ["removeTrackingLinks"],
        },
        "Developer Terms": {
            "fetch": "https://acme.example/developers/terms",
            "select": ["article"],
        },
        "Acceptable Use Policy": {
            "fetch": "https://acme.example/usage",
            "select": [{"startBefore": "#usage", "endAfter": "#usage-end"}],
        },
    },
}

EXISTING = """
[monitor]
database = "sqlite:///tos.db"

[providers.acme]
name = "Acme (configured by hand)"

[providers.acme.documents.usage]
url = "https://acme.example/developers/terms#top"
select = ["main"]
"""


def declaration(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def tosmon(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def documents(toml_text: str, provider: str = "acme") -> dict[str, Any]:
    docs: dict[str, Any] = tomllib.loads(toml_text)["providers"][provider]["documents"]
    return docs


def test_terms_types_become_documents_with_tiers_and_what_was_dropped(tmp_path: Path) -> None:
    """Each terms type of a declaration is printed as a document of the provider named
    after the file, with the tier its type names (business, api; none for plain terms);
    range selectors are dropped and reported for that document, client scripts and
    JavaScript filters are reported, and a region made only of ranges is not imported.
    The printed text is a valid sources.toml."""
    path = declaration(tmp_path, "Acme.json", ACME)
    result = tosmon("sources", "import-ota", str(path))
    docs = documents(result.stdout)
    assert tomllib.loads(result.stdout)["providers"]["acme"]["name"] == "Acme AI"
    assert sorted(docs) == ["business-privacy-policy", "developer-terms", "terms-of-service"]
    terms = docs["terms-of-service"]
    assert (terms["url"], terms["select"], terms["remove"]) == (
        "https://acme.example/terms",
        ["#terms"],
        ["header"],
    )
    assert "tier" not in terms and terms["name"] == "Terms of Service"
    assert docs["business-privacy-policy"]["tier"] == "business"
    assert docs["business-privacy-policy"]["select"] == ["main"]
    assert docs["developer-terms"]["tier"] == "api"
    report = result.stderr.splitlines()
    business = report.index("imported acme/business-privacy-policy (tier business) from Acme.json")
    notes = report[business + 1 : business + 4]
    assert any("range from after 'h1' to before 'footer' dropped" in n for n in notes)
    assert any("client scripts" in n for n in notes)
    assert any("removeTrackingLinks" in n for n in notes)
    assert any(
        line.startswith("skipped  acme/acceptable-use-policy") and "add the document" in line
        for line in report
    )
    printed = tmp_path / "printed.toml"
    printed.write_text(result.stdout, encoding="utf-8")
    assert "3 documents" in tosmon("sources", "validate", "--config", str(printed)).stdout


def test_write_appends_to_sources_toml_and_skips_what_is_configured(tmp_path: Path) -> None:
    """--write appends the documents to the existing sources.toml, keeping its text as it
    was; a document whose URL is already configured (compared normalised) is skipped and
    said so; a second import finds nothing new and writes nothing."""
    config = tmp_path / "sources.toml"
    config.write_text(EXISTING, encoding="utf-8")
    path = declaration(tmp_path, "acme.json", ACME)
    result = tosmon("sources", "import-ota", str(path), "--write", "--config", str(config))
    text = config.read_text(encoding="utf-8")
    assert text.startswith(EXISTING.rstrip("\n"))
    docs = documents(text)
    assert sorted(docs) == ["business-privacy-policy", "terms-of-service", "usage"]
    assert "skipped  acme/developer-terms from acme.json: its URL is acme/usage's" in result.stderr
    listed = json.loads(tosmon("sources", "list", "--json", "--config", str(config)).stdout)
    assert len(listed) == 3
    again = tosmon("sources", "import-ota", str(path), "--write", "--config", str(config), code=1)
    assert "no document to import" in again.output and "already in" in again.output
    assert config.read_text(encoding="utf-8") == text


def test_unreadable_files_are_reported_and_the_others_imported(tmp_path: Path) -> None:
    """A folder is read for its declarations (history files left out); a file that is not
    JSON, or JSON that is not a declaration, is named with what is wrong and exit 1, and
    the good declarations are imported all the same (--json report)."""
    folder = tmp_path / "declarations"
    folder.mkdir()
    declaration(folder, "Acme.json", ACME)
    declaration(folder, "Acme.history.json", {"Terms of Service": [{"fetch": "https://old"}]})
    declaration(folder, "Broken.json", '{"name": "Broken", "documents": {')
    declaration(folder, "List.json", [1, 2])
    result = tosmon("sources", "import-ota", str(folder), "--json", code=1)
    data = json.loads(result.stdout)
    assert sorted(d["document"] for d in data["imported"]) == [
        "business-privacy-policy",
        "developer-terms",
        "terms-of-service",
    ]
    failed = {Path(f["file"]).name: f["reason"] for f in data["failed"]}
    assert sorted(failed) == ["Broken.json", "List.json"]
    assert failed["Broken.json"].startswith("not JSON (line 1")
    assert "not an Open Terms Archive declaration" in failed["List.json"]
    assert data["written"] is None and "[providers.acme]" in data["toml"]


def test_hostile_strings_stay_strings(tmp_path: Path) -> None:
    """Names and selectors holding quotes, line breaks, TOML syntax and terminal escapes
    are written as TOML strings (the file means what the declaration said, no more), and
    the terminal report carries no escape sequence."""
    hostile = 'Evil "Co"\n[monitor]\ndatabase = "sqlite:////etc/x.db"\x1b[2J'
    data = {
        "name": hostile,
        "documents": {
            "Privacy Policy\x1b]0;pwned\x07": {
                "fetch": "https://evil.example/privacy",
                "select": ['div[title="a\\"]"]'],
            }
        },
    }
    path = declaration(tmp_path, "evil.json", data)
    result = tosmon("sources", "import-ota", str(path))
    parsed = tomllib.loads(result.stdout)
    assert "monitor" not in parsed and parsed["providers"]["evil"]["name"] == hostile
    [(doc_id, doc)] = parsed["providers"]["evil"]["documents"].items()
    assert doc_id == "privacy-policy-0-pwned" and doc["select"] == ['div[title="a\\"]"]']
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


@pytest.mark.parametrize(
    ("terms_type", "tier"),
    [
        ("Commercial Terms", "business"),
        ("Enterprise Privacy Policy", "business"),
        ("Data Processor Agreement", "business"),
        ("Service Level Agreement", "business"),
        ("API Terms of Use", "api"),
        ("Developer Agreement", "api"),
        ("Terms of Service", None),
        ("Privacy Policy", None),
        ("Community Guidelines", None),
    ],
)
def test_tier_follows_the_words_of_the_terms_type(terms_type: str, tier: str | None) -> None:
    """Business, commercial, enterprise, processor and service-level types are business;
    developer and API types are api; a type that names no audience gets no tier."""
    assert tier_of(terms_type) == tier


def test_ids_are_what_sources_toml_accepts() -> None:
    """File names and terms types become lower-case ids of letters, digits and dashes."""
    assert slug("Le Monde Diplomatique", "x") == "le-monde-diplomatique"
    assert slug("Conditions Générales d'Utilisation", "x") == "conditions-generales-d-utilisation"
    assert slug("利用規約", "document-3") == "document-3"
