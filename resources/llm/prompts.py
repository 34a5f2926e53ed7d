"""Versioned prompt templates: the name, version and hash of each prompt land in the call ledger."""

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prompt:
    """A named, versioned chat prompt; `template` is a str.format template for the user message.

    Data is passed as data: variables are inserted inside fenced blocks by the caller's template,
    and the system message tells the model to treat them as content, never as instructions.
    """

    name: str
    version: str
    template: str
    system: str = ""
    params: dict = field(default_factory=dict)
    # Set only on a prompt file's live handle (PromptFile.live_prompt): the LLM session then answers with the
    # version live in the Store, so promote/rollback reach every caller. Not part of eq, hash or repr.
    live_of: "PromptFile | None" = field(default=None, compare=False, repr=False)  # noqa: F821

    @property
    def hash(self) -> str:
        """Content hash of system + template, so an edited prompt without a version bump is still visible."""
        return hashlib.sha256(f"{self.system}\x00{self.template}".encode()).hexdigest()[:16]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **variables) -> list[dict]:
        """Chat messages for these variables; a missing variable is a clear error, not a silent blank."""
        try:
            user = self.template.format(**variables)
        except KeyError as missing:
            raise ValueError(f"prompt {self.ref} needs variable {missing}") from None
        messages = [{"role": "system", "content": self.system}] if self.system else []
        return messages + [{"role": "user", "content": user}]
