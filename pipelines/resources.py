"""The one resource assets and checks share: settings, the archive, the warehouse and the
run lock."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import dagster as dg
from pydantic import PrivateAttr

from pipelines.settings import Settings
from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.runlock import RunLocked, run_lock


class SanctionsResource(dg.ConfigurableResource):
    """Reads the environment when a run starts (not when definitions load); fields override it."""

    data_dir: str | None = None
    mirror: str | None = None
    # DuckDB takes up to 80% of RAM by default and matching used 5 GB of it on the real lists;
    # capped, it spills to disk instead: 0.7 GB peak for 15% more time (benchmarks/run.py).
    duckdb_memory_limit: str = "512MB"
    _held: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Hold the run lock for the whole run, launched from the UI, the daemon or the CLI:
        two runs never interleave their steps on one data directory."""
        try:
            self._held.enter_context(
                run_lock(self.settings().data_dir, on_wait=context.log.warning)
            )
        except RunLocked as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._held.close()

    def settings(self) -> Settings:
        return Settings.from_env(data_dir=self.data_dir, mirror=self.mirror)

    def archive(self) -> Archive:
        return Archive(self.settings().archive_root)

    @contextmanager
    def connect(self) -> Iterator:
        """The warehouse for one short write; never held across downloads."""
        with warehouse.connect(self.settings().warehouse_path) as con:
            limit = self.duckdb_memory_limit.replace("'", "")
            con.execute(f"SET memory_limit = '{limit}'")
            yield con

    def opener(self) -> warehouse.Opener:
        return warehouse.opener(self.settings().warehouse_path)
