"""aiwf resources: the LLM, memory, connector, approval and ledger resources a workflow binds by key."""
