"""Product copy: SEO descriptions drafted by the model in the brand voice, from the product's own facts.

The row hooks of `product_descriptions` on the row engine (assets/llm_map/step.py): each product is asked with
the voice and the brand's examples for its category; a product the authoritative feed does not sell is
quarantined (it has no price to publish); the answers become the description table.
"""

import pandas as pd

from assets.llm_map.rows import RowRejected
from pipelines.brand import brand_examples as all_brand_examples
from pipelines.brand import brand_voice as voice_config

META_LIMIT = 155  # search engines cut meta descriptions at about this length
COLUMNS = ["sku", "title", "description", "meta_description", "model", "prompt", "offline"]
PROMPT = "seo_product_description"  # prompts/seo_product_description.yaml


def brand_examples(category: str, k: int = 3) -> list[str]:
    """Brand-voice examples for a category, best match first."""
    examples = all_brand_examples()
    ranked = sorted(examples, key=lambda e: (e["category"] != category, e["category"] != "any"))
    return [e["text"] for e in ranked[:k]]


def brand_voice() -> str:
    return voice_config()["guide"]


def meta_description(text: str, limit: int = META_LIMIT) -> str:
    """The description cut at a word boundary to fit a search result snippet."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def copy_inputs(products: pd.DataFrame, step) -> pd.DataFrame:
    """Each product with whether the shop sells it (the authoritative feed), the voice and its category's examples."""
    sold = set(step.inputs["authoritative_feed"].sku)
    return products.assign(sold=[sku in sold for sku in products.sku], voice=brand_voice(),
                           examples=["\n".join(f"- {e}" for e in brand_examples(c)) for c in products.category])


def copy_variables(row: dict) -> dict:
    """The prompt's variables; a product with no authoritative price or stock is not described."""
    if not row["sold"]:
        raise RowRejected("not_in_authoritative_feed", "no authoritative price or stock for this sku")
    return {k: str(row[k]) for k in ("title", "category", "facts", "voice", "examples")}


def description_table(answered: pd.DataFrame, step) -> pd.DataFrame:
    """product_descriptions: text, meta description and provenance (model, prompt version, offline)."""
    text = [t.strip() for t in answered.text]
    return pd.DataFrame({"sku": answered.sku, "title": answered.title, "description": text,
                         "meta_description": [meta_description(t) for t in text], "model": answered.llm_model,
                         "prompt": [f"{PROMPT}@{v}" for v in answered.prompt_version],
                         "offline": answered.llm_offline.astype(bool)}, columns=COLUMNS)
