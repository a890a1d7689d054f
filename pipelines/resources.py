"""The one resource assets and checks share: settings, the archive and the warehouse."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pipelines.settings import Settings
from sanctions import warehouse
from sanctions.archive import Archive


class SanctionsResource(dg.ConfigurableResource):
    """Reads the environment when a run starts (not when definitions load); fields override it."""

    data_dir: str | None = None
    mirror: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(data_dir=self.data_dir, mirror=self.mirror)

    def archive(self) -> Archive:
        return Archive(self.settings().archive_root)

    @contextmanager
    def connect(self) -> Iterator:
        with warehouse.connect(self.settings().warehouse_path) as con:
            yield con
