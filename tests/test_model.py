"""The pure stages load only the frozen types of monitor.model: no TOML loader, no HTML
parser, no CSS selector engine, no scheduler (cheap worker processes, fast start-up)."""

from __future__ import annotations

import json
import subprocess
import sys

from monitor import config, extract, model

PURE_STAGES = (
    "monitor.model",
    "monitor.clauses",
    "monitor.positions",
    "monitor.diff",
    "monitor.summary",
    "monitor.position_changes",
    "monitor.warmup",  # the fork server imports it: the stages built, nothing heavier
)
# What only the loader (config.py: tomllib, soupsieve via config_reader), extraction (bs4,
# lxml) or scheduling (APScheduler) needs.
HEAVY = ("monitor.config", "monitor.config_reader", "monitor.extract", "tomllib", "soupsieve")
HEAVY_ROOTS = ("bs4", "lxml", "apscheduler", "sqlalchemy", "httpx")


def _loaded_after_import(module: str) -> list[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_pure_stages_import_no_loader_parser_or_scheduler() -> None:
    """Importing clauses, positions, diff or summary loads none of the loader, the HTML or CSS
    machinery, the scheduler, the database or the HTTP client."""
    for module in PURE_STAGES:
        loaded = _loaded_after_import(module)
        heavy = [m for m in loaded if m in HEAVY or m.split(".")[0] in HEAVY_ROOTS]
        assert heavy == [], f"{module} loads {heavy}"
        assert module in loaded


def test_the_loader_and_extractor_hand_out_the_model_types() -> None:
    """Older imports keep working: config.py and extract.py name the very classes of
    model.py, so a value built by the loader is an instance of the model type."""
    assert config.DocumentConfig is model.DocumentConfig
    assert config.Config is model.Config
    assert config.BUILTIN_CLAUSES is model.BUILTIN_CLAUSES
    assert extract.Block is model.Block and extract.Extraction is model.Extraction
    blocks = extract.blocks_from_text("# Terms\n- Item one\na | b\nPlain words.")
    assert [(b.kind, b.level) for b in blocks] == [
        ("heading", 1),
        ("item", 1),
        ("row", 0),
        ("paragraph", 0),
    ]
    assert "\n".join(b.line() for b in blocks) == "# Terms\n- Item one\na | b\nPlain words."
