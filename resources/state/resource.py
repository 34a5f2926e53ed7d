"""`StateResource` (key `state`): where aiwf keeps its own state, handed to every store a step uses.

The call ledger, response cache, checkpoints, quarantine, approvals, action ledger, audit trail and
inventory events all live in one SQL database (SQLite in the home folder, or Postgres), next to files
in the home folder (audit log, Parquet tables, LanceDB memory, inboxes). Other resources take this one
as a field, so configuring Postgres here is honoured by every step, sensor, the review app and the CLI.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from resources.state.home import aiwf_home
from resources.state.store import Store, open_store


class StateResource(dg.ConfigurableResource):
    """aiwf's state: a home folder and the SQL store in it (or in Postgres)."""

    home: str | None = Field(default=None, description="Folder for aiwf's files (AIWF_HOME); default ./.aiwf.")
    pg_url: str | None = Field(default=None, description="Postgres URL for the SQL store (AIWF_PG_URL); "
                                                         "default SQLite at <home>/aiwf.db. Never logged.")

    def home_dir(self) -> Path:
        """The home folder, created on first use."""
        if not self.home:
            return aiwf_home()
        path = Path(self.home).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def path(self, *parts: str) -> Path:
        """A folder under the home (created), e.g. state.path("tables")."""
        folder = self.home_dir().joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def store(self) -> Store:
        """The SQL store, shared by every user of this configuration in the process."""
        return open_store(self.home_dir(), self.pg_url or None)


def state_of(resource) -> StateResource:
    """The `state` a resource was bound with, or the default local state when built without one (tests, scripts)."""
    return getattr(resource, "state", None) or StateResource()
