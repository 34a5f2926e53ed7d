"""Product copy: SEO descriptions drafted by the model in the brand voice, from the product's own facts."""

from pipelines.brand import brand_examples as all_brand_examples
from pipelines.brand import brand_voice as voice_config
from pipelines.prompt_catalog import prompt_file

META_LIMIT = 155  # search engines cut meta descriptions at about this length

SEO_DESCRIPTION = prompt_file("seo_product_description").live_prompt  # prompts/seo_product_description.yaml


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


def draft_description(ai, product, examples: list[str]) -> dict:
    """One product's description row: text, meta description and provenance (model, prompt, offline)."""
    answer = ai.complete(SEO_DESCRIPTION, {
        "title": product.title, "category": product.category, "facts": product.facts, "voice": brand_voice(),
        "examples": "\n".join(f"- {e}" for e in examples),
    }, tier="cheap")
    text = answer.text.strip()
    return {"sku": product.sku, "title": product.title, "description": text, "meta_description": meta_description(text),
            "model": answer.model, "prompt": ai.prompt_in_force(SEO_DESCRIPTION).ref, "offline": answer.offline}
