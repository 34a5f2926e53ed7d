"""The API key the `aiwf` commands give the offline test double they start: it tells the LLM resource that
nothing leaves this machine (so prompts need no PII redaction) and is never a real credential."""

OFFLINE_KEY = "offline-test-double"
