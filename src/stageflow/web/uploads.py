"""Uploaded definition files, written into a folder to deploy: the same names for the API and
the Setup page."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from stageflow.errors import InvalidInput, Problem

SUFFIXES = (".yaml", ".yml")
MAX_NAME = 200  # bytes; file systems refuse names past 255


def save(files: list[UploadFile], folder: Path) -> None:
    """Write each upload into `folder` under its own base name, `.yaml` added when it has no
    YAML suffix. Refuses (before writing any) a name that is no file's, and a name twice."""
    names = [file_name(upload.filename) for upload in files]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidInput(Problem(f"two files are named {name!r}", field="files"))
        seen.add(name)
    for name, upload in zip(names, files, strict=True):
        (folder / name).write_bytes(upload.file.read())


def file_name(sent: str | None) -> str:
    """The name a sent file is saved under; no folder of the sender's survives it."""
    if not sent:
        return "definition.yaml"
    base = PurePosixPath(sent.replace("\\", "/")).name  # a browser may send C:\...\x.yaml
    if not base or base.startswith(".") or len(base.encode()) > MAX_NAME:
        raise InvalidInput(
            Problem(
                f"{sent!r} is not a file name to deploy: name it like orders.yaml "
                f"(not hidden, at most {MAX_NAME} bytes)",
                field="files",
            )
        )
    return base if base.endswith(SUFFIXES) else base + ".yaml"
