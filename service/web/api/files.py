"""Answers as files: which format a request asks for, and the response that carries one."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request

from projections import LedgerState
from service.sheets.workbook import MEDIA_TYPE as XLSX

MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "xlsx": XLSX}
FILE_FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def answer_format(asked: str | None, offered: tuple[str, ...]) -> str:
    """`?format=` when given, else the best of `offered` for the `Accept` header (the first
    when it names none of them)."""
    if asked:
        return asked
    best = request.accept_mimetypes.best_match([MEDIA_TYPES[f] for f in offered])
    return next((f for f in offered if MEDIA_TYPES[f] == best), offered[0])


def file_response(content: bytes, file_format: str, file_name: str) -> Response:
    """A download: `Content-Disposition: attachment` with the file's name."""
    response = Response(content, 200, content_type=FILE_FORMATS[file_format])
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Vary"] = "Accept"
    return response


def file_name(state: LedgerState, *parts: Any, extension: str) -> str:
    """`<acronym>-<parts>.<extension>`, with anything but letters, digits, `.`, `_` and `-`
    replaced, so that every system takes it as it is."""
    stem = "-".join(str(part) for part in (state.project.acronym, *parts))
    return f"{UNSAFE.sub('_', stem).strip('_') or 'grantledger'}.{extension}"


def answers_as_files(blp: Any, *formats: str) -> Any:
    """Documents the 200 answers as files (`csv`, `xlsx`) beside an endpoint's JSON."""
    def document(view: Any) -> Any:
        for file_format in formats:
            view = blp.alt_response(200, schema={"type": "string", "format": "binary"},
                                    content_type=MEDIA_TYPES[file_format])(view)
        return view

    return document
