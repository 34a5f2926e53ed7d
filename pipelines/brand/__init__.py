"""The brand both content workflows write for: its voice guide, banned phrases and example copy.

The files beside this module are the brand's configuration (reviewed like code); a team points
AIWF_BRAND_DIR at its own `voice.json` and `examples.json`.
"""

import json
import os
from pathlib import Path

BUNDLED = Path(__file__).parent


def brand_dir() -> Path:
    """AIWF_BRAND_DIR, else the files shipped with aiwf; read at call time, never at import."""
    return Path(os.environ.get("AIWF_BRAND_DIR") or BUNDLED)


def brand_voice() -> dict:
    """The voice guide, its banned phrases and the minimum tone score a draft needs."""
    return json.loads((brand_dir() / "voice.json").read_text(encoding="utf-8"))


def brand_examples() -> list[dict]:
    """Example copy in the brand voice, each with its product category ("any" fits all)."""
    return json.loads((brand_dir() / "examples.json").read_text(encoding="utf-8"))
