"""The state a test's stores use: the per-test AIWF_HOME set by conftest, SQLite inside it."""

from resources.state.resource import StateResource
from resources.state.store import Store


def local_store() -> Store:
    """The SQL store of this test's home (the same one a resource built without `state` uses)."""
    return StateResource().store()
