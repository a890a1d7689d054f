"""Where each source's files come from: the official URL, a per-source override, or a mirror.

A mirror is a directory or base URL laid out as `<mirror>/<source id>/<official file name>`.
The format is recognised from the file names: a directory is listed; a URL mirror is probed
format by format (the first main file that exists wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from sanctions.errors import FormatNotRecognised
from sanctions.sources import FileFormat, Source


@dataclass(frozen=True)
class FileLocation:
    file_name: str  # official name, upper case: how parsers find the file
    location: str  # URL or path
    optional: bool = False


@dataclass(frozen=True)
class FetchPlan:
    """One way to fetch a snapshot: a format and its files, main file first."""

    format: FileFormat
    files: tuple[FileLocation, ...]


def fetch_plans(source: Source, mirror: str | None, override: str | None) -> list[FetchPlan]:
    """Candidate plans in order of preference; the fetcher uses the first whose main file exists."""
    if override:
        name = Path(unquote(urlparse(override).path)).name
        if len(source.formats) == 1:
            fmt = source.default_format
        else:
            fmt, name = source.format_for([name])
        return [_plan(fmt, override.rsplit("/", 1)[0] + "/" if "/" in override else "", name)]
    if mirror:
        base = mirror.rstrip("/") + f"/{source.id}"
        if _is_url(mirror):
            return [_plan(fmt, base + "/", fmt.main_file) for fmt in source.formats]
        return [_directory_plan(source, Path(base))]
    fmt = source.default_format
    return [_plan(fmt, source.official_base_url, fmt.official_path or fmt.main_file)]


def _plan(fmt: FileFormat, base: str, main_name: str) -> FetchPlan:
    main = FileLocation(fmt.main_file, base + main_name)
    companions = tuple(FileLocation(name, base + name, optional=True) for name in fmt.companions)
    return FetchPlan(fmt, (main, *companions))


def _directory_plan(source: Source, folder: Path) -> FetchPlan:
    if not folder.is_dir():
        raise FormatNotRecognised(
            source.id, str(folder), "the mirror has no folder for this source"
        )
    present = {path.name.upper(): path for path in folder.iterdir() if path.is_file()}
    fmt, main_name = source.format_for(list(present))
    files = [FileLocation(fmt.main_file, str(present[main_name]))]
    files += [
        FileLocation(name, str(present[name.upper()]), optional=True)
        for name in fmt.companions
        if name.upper() in present
    ]
    return FetchPlan(fmt, tuple(files))


def _is_url(text: str) -> bool:
    return urlparse(text).scheme.lower() in ("http", "https", "file")
