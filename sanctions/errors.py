"""Errors that name the source, the file and the problem, so an operator can act on them."""


class SourceError(Exception):
    """A problem with one source's data; the message says which source, which file and what."""

    def __init__(self, source_id: str, file: str, problem: str):
        self.source_id = source_id
        self.file = file
        self.problem = problem
        super().__init__(f"{source_id}: {file}: {problem}")


class FetchError(SourceError):
    """The file could not be downloaded (or what came back is not the list)."""


class ParseError(SourceError):
    """The file was downloaded but is not a valid list in the expected format."""


class FormatNotRecognised(SourceError):
    """No known format matches the files offered for a source."""


class CheckFailed(SourceError):
    """A blocking check failed on the staged snapshot, so it was not published."""


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and the expected form."""

    def __init__(self, name: str, value: str, expected: str):
        super().__init__(f"setting {name}={value!r}: expected {expected}")


class ReferenceFileError(ValueError):
    """A taxonomy or reference CSV that cannot be used; names the file, the line and why."""

    def __init__(self, path, line: int | None, problem: str):
        where = f"line {line}: " if line else ""
        super().__init__(f"reference file {path}: {where}{problem}")
