"""Where each source's files come from: the official URL, a per-source override, or a mirror.

A mirror is a directory or base URL laid out as `<mirror>/<source id>/<official file name>`.
The format is recognised from the file names: a directory is listed; a URL mirror is probed
format by format (the first main file that exists wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
        if is_url(mirror):
            return [_plan(fmt, base + "/", fmt.main_file) for fmt in source.formats]
        return [_directory_plan(source, Path(base))]
    fmt = source.default_format
    return [_plan(fmt, source.official_base_url, fmt.official_path or fmt.main_file)]


def not_in_mirror(source: Source, mirror: str | None) -> bool:
    """Whether a directory mirror lacks the source's folder: a partial mirror skips the source."""
    return bool(mirror) and not is_url(mirror) and not (Path(mirror) / source.id).is_dir()


def describe_feed(source: Source, mirror: str | None, override: str | None) -> str:
    """Where the source is read from, for the run summary and the UI."""
    if override:
        return f"SANCTIONS_URL_{source.id.upper()} {override}"
    if mirror:
        return f"mirror {mirror.rstrip('/')}/{source.id}"
    fmt = source.default_format
    return f"official {source.official_base_url}{fmt.official_path or fmt.main_file}"


def describe_publication(published_on: date | None, fetched_at: datetime) -> str:
    """The publisher's own date, or plainly the fetch date where the file states none."""
    if published_on is not None:
        return f"published {published_on.isoformat()} (as the file states)"
    return f"fetched on {fetched_at:%Y-%m-%d} (the file states no publication date)"


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


def is_url(text: str) -> bool:
    """Whether a mirror or override is a URL (else a local path)."""
    return urlparse(text).scheme.lower() in ("http", "https", "file")
