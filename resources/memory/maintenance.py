"""Keeping memory tables healthy (compaction, old versions, indexes as tables grow) and auditing past states."""

import datetime as dt

from resources.memory.index_policy import ensure_indexes
from resources.memory.records import MemoryInputError


class MaintenanceMixin:
    """Maintenance and time travel for MemoryResource (kept apart so the resource reads as the memory API)."""

    def maintain(self, names: list[str] | None = None, *, retention: dt.timedelta | None = None,
                 delete_unverified: bool = False) -> dict[str, dict]:
        """Per table: compact small files, fold new rows into the indexes, drop versions older than the retention,
        and create or retrain indexes the table's size now calls for. Live rows are never touched."""
        keep = retention if retention is not None else dt.timedelta(days=self.version_retention_days)
        report = {}
        for name in names or self.table_names():
            table = self.table(name)
            before = (table.count_rows(), len(table.list_versions()), table.stats()["fragment_stats"]["num_fragments"])
            indexes = ensure_indexes(table, self.policy, retrain=True)
            # delete_unverified=True would also remove files of writes still in flight; only for tests/offline use
            table.optimize(cleanup_older_than=keep, delete_unverified=delete_unverified)
            after = (table.count_rows(), len(table.list_versions()), table.stats()["fragment_stats"]["num_fragments"])
            if after[0] != before[0]:
                raise RuntimeError(f"maintenance changed the row count of {name}: {before[0]} -> {after[0]}")
            report[name] = {"rows": after[0], "versions_before": before[1], "versions_after": after[1],
                            "fragments_before": before[2], "fragments_after": after[2], "indexes": indexes,
                            "version": table.version}
        return report

    def versions(self, name: str) -> list[dict]:
        """The table's versions (number, timestamp), oldest first: what `snapshot` can go back to."""
        return [{"version": v["version"], "timestamp": v["timestamp"]} for v in self.table(name).list_versions()]

    def snapshot(self, name: str, version: int | None = None, *, as_of: dt.datetime | None = None):
        """The table's rows (pyarrow, without vectors) as they were at a version or a point in time, for audits."""
        versions = self.versions(name)
        if as_of is not None:
            older = [v["version"] for v in versions if v["timestamp"] <= _aware(as_of, v["timestamp"])]
            if not older:
                raise MemoryInputError(f"{name} has no version at or before {as_of}")
            version = older[-1]
        if version not in {v["version"] for v in versions}:
            raise MemoryInputError(f"{name} has no version {version}; kept: {[v['version'] for v in versions]}")
        past = self.db().open_table(name)  # a separate handle: checking out must not pin the shared one
        past.checkout(version)
        cols = [f.name for f in past.schema if f.name != "vector"]
        return past.search().select(cols).limit(None).to_arrow()

    def restore(self, name: str, version: int) -> int:
        """Make a past version the latest (a new version: history is kept); returns the new version number."""
        table = self.table(name)
        table.restore(version)
        return table.version


def _aware(when: dt.datetime, like: dt.datetime) -> dt.datetime:
    """Compare like with like: LanceDB reports version timestamps naive (local time) or aware."""
    if like.tzinfo is None and when.tzinfo is not None:
        return when.astimezone().replace(tzinfo=None)
    if like.tzinfo is not None and when.tzinfo is None:
        return when.astimezone()
    return when
