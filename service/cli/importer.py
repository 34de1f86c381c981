"""`grantledger import expenses FILE --project P`: the rows of a spreadsheet posted to a running
service through `POST …/expenses/batch`, in chunks of at most 500 rows.

Every chunk is recorded whole or not at all. A row that cannot be read, or that the service
refuses, is reported by its row number and column, on the terminal and in `<file>.refused.csv`
beside the file; the other rows of its chunk are held back (decided, not recorded), so that a
corrected file run again records them. A row whose expense the project already holds, active,
with the same supplier, document number and budget line and the same amounts, is "already
recorded" and skipped: running a file twice records nothing twice. Each chunk's
`Idempotency-Key` derives from the project, the file's SHA-256 and the chunk's index (and the
rows sent, when some were skipped), so a chunk whose answer was lost is sent again under its
key and answered from the service's record of it.

Exit status: 0 when every row is recorded, already was, or (`--dry-run`) would be; 1 when any
row was refused; 2 when the import could not run (no service, a bad token, an unreadable file),
said in one line.

A run speaks Czech or English (`ImportOptions.lang`, service.cli.speech): its messages, the
warnings, the summary and the refused-rows file. What the service says of a refused row (a
field's message, a rule's detail) is quoted as the service wrote it, in English, as the pages
quote the API.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

import httpx
from tqdm import tqdm

from domain.records import document_key, supplier_key
from service.cli.expense_rows import ExpenseRow, Layout, LayoutError, expense_rows, layout
from service.cli.sheet_files import UnreadableFileError, read_sheet
from service.cli.speech import N_, gettext, ngettext, number, pgettext, speaking

CHUNK_ROWS = 500
RETRIES = 4
IN_FLIGHT_WAITS = 120
API = "/api/v1"
BATCH_TYPES = ("urn:grantledger:problem:batch-invalid", "urn:grantledger:problem:batch-refused")
ITEM_OF_BATCH = re.compile(r"item ([0-9]+) of the batch")
# Why a file cannot be read, as the C library says it in English, said in the run's language.
OS_REASONS = {errno.ENOENT: N_("No such file or directory"), errno.EACCES: N_("Permission denied"),
              errno.EISDIR: N_("Is a directory")}


class CannotRunError(Exception):
    """The import cannot go on; the message is the one line the user sees."""


@dataclass(frozen=True)
class ImportOptions:
    file: Path
    project: str
    dry_run: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    chunk_rows: int = CHUNK_ROWS
    progress: bool | None = None
    """Show a progress bar: None for "when the error stream is a terminal"."""
    lang: str = "en"
    """The language the run speaks: cs or en (service.cli.speech)."""


@dataclass
class Tally:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    held_back: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    warnings: int = 0

    def refuse(self, row: int, column: str, message: str) -> None:
        self.refused.append((row, column, message))

    @property
    def refused_rows(self) -> int:
        return len({row for row, _, _ in self.refused})


@dataclass(frozen=True)
class BatchAnswer:
    """The service's answer to a chunk: recorded (or would be), or the refused items by their
    index in what was sent, each with its field (or "") and message."""

    refusals: dict[int, list[tuple[str, str]]]
    replayed: bool = False
    digest: str = ""
    """The SHA-256 of the answer's body."""


def import_expenses(options: ImportOptions, client: httpx.Client, *, out: TextIO = sys.stdout,
                    err: TextIO = sys.stderr) -> int:
    """Runs the import against the service `client` reaches (with the token it carries);
    answers the exit status."""
    with speaking(options.lang):
        try:
            return Import(options, client, out, err).run()
        except CannotRunError as error:
            print(f"grantledger import: {error}", file=err)
            return 2


class Import:
    def __init__(self, options: ImportOptions, client: httpx.Client, out: TextIO,
                 err: TextIO) -> None:
        self.options, self.out, self.err = options, out, err
        self.service = Service(client)
        self.tally = Tally()

    def run(self) -> int:
        started = time.monotonic()
        content = self._content()
        columns, rows = self._rows(content)
        project_id = self.service.project_id(self.options.project)
        recorded = self.service.active_expenses(project_id)
        if self.options.dry_run:
            self._warn(rows, columns, self.service.eligibility_window(project_id))
        self.tally.rows = len(rows)
        size, digest = self.options.chunk_rows, _sha256(content)
        with self._progress(len(rows)) as bar:
            for index in range(0, len(rows), size):
                chunk = rows[index:index + size]
                key = f"grantledger-import:{project_id}:{digest}:{index // size}"
                self._chunk(project_id, chunk, recorded, columns, key, bar)
                bar.update(len(chunk))
        report = self._report(columns)
        self._summary(time.monotonic() - started, report)
        return 1 if self.tally.refused else 0

    def _warn(self, rows: list[ExpenseRow], columns: Layout, window: tuple[date, date]) -> None:
        """What a dry run says of rows that will be recorded but may not be what was meant:
        a tax point outside the eligibility window (recorded, counted as ineligible) and a
        Czech IČO whose check digit is wrong (a typo, or another company)."""
        for row in rows:
            for field_name, message in row_warnings(row.body, window):
                self.tally.warnings += 1
                print(gettext("warning: row {number}, {column}: {message}").format(
                    number=row.number, column=columns.heading(field_name), message=message),
                    file=self.err)

    def _content(self) -> bytes:
        try:
            return self.options.file.read_bytes()
        except OSError as error:
            reason = (gettext(OS_REASONS[error.errno]) if error.errno in OS_REASONS
                      else error.strerror)
            raise CannotRunError(gettext("cannot read {file}: {reason}").format(
                file=self.options.file, reason=reason)) from None

    def _rows(self, content: bytes) -> tuple[Layout, list[ExpenseRow]]:
        name = self.options.file.name
        try:
            sheet = read_sheet(self.options.file, content, encoding=self.options.encoding,
                               delimiter=self.options.delimiter)
            columns = layout(sheet)
        except (UnreadableFileError, LayoutError) as error:
            raise CannotRunError(f"{name}: {error}") from None
        return columns, expense_rows(sheet, columns)

    def _chunk(self, project_id: UUID, chunk: list[ExpenseRow], recorded: RecordedExpenses,
               columns: Layout, key: str, bar: Any) -> None:
        refused: list[tuple[int, str, str]] = []
        unreadable = [row for row in chunk if row.body is None]
        for row in unreadable:
            refused.extend((row.number, column, message) for column, message in row.errors)
        pending = [row for row in chunk if row.body is not None and not recorded.claim(row.body)]
        self.tally.already += len(chunk) - len(unreadable) - len(pending)
        answer = BatchAnswer({})
        if pending:
            if pending != chunk:  # some rows skipped: the key names the rows sent
                numbers = ",".join(str(row.number) for row in pending)
                key = f"{key}:{_sha256(numbers.encode())[:16]}"
            only_decide = bool(unreadable) or self.options.dry_run
            answer = self.service.post_batch(project_id, [row.body for row in pending
                                                          if row.body is not None],
                                             key=None if only_decide else key)
        for index, problems in answer.refusals.items():
            row = pending[index]
            refused.extend((row.number, columns.heading(name) if name else "",
                            _in_rows(message, pending, recorded, row))
                           for name, message in problems)
        if unreadable or answer.refusals:
            self.tally.held_back += len(pending) - len(answer.refusals)
        else:
            self.tally.recorded += len(pending)
        for row_number, column, message in sorted(refused):
            self.tally.refuse(row_number, column, message)
            bar.write(refusal_line(row_number, column, message), file=self.out)

    @contextmanager
    def _progress(self, total: int) -> Iterator[Any]:
        disable = None if self.options.progress is None else not self.options.progress
        with tqdm(total=total, unit=pgettext("progress bar, per second", "row"),
                  desc=self.options.file.name, file=self.err,
                  disable=disable, dynamic_ncols=True) as bar:
            yield bar

    def _report(self, columns: Layout) -> Path | None:
        """The refused rows as CSV beside the file (a report of an earlier run removed)."""
        path = self.options.file.with_name(f"{self.options.file.stem}.refused.csv")
        if not self.tally.refused:
            path.unlink(missing_ok=True)
            return None
        text = io.StringIO()
        text.write("\ufeff")
        # A Czech spreadsheet program opens `;`-separated CSV; an English one `,`.
        writer = csv.writer(text, delimiter=";" if columns.lang == "cs" else ",",
                            lineterminator="\r\n")
        writer.writerow(report_headings())
        writer.writerows(sorted(self.tally.refused))
        path.write_text(text.getvalue(), encoding="utf-8", newline="")
        return path

    def _summary(self, seconds: float, report: Path | None) -> None:
        t = self.tally
        recorded = (ngettext("{count} would be recorded (dry run)",
                             "{count} would be recorded (dry run)", t.recorded)
                    if self.options.dry_run else
                    ngettext("{count} recorded", "{count} recorded", t.recorded))
        lines = [f"{self.options.file.name}: {rows(t.rows)}", _tallied(t.recorded, recorded),
                 _tallied(t.already, ngettext("{count} already recorded, skipped",
                                              "{count} already recorded, skipped", t.already))]
        if t.refused:
            lines.append(_tallied(t.refused_rows, ngettext(
                "{count} refused (see {report})", "{count} refused (see {report})",
                t.refused_rows), report=report))
        if t.held_back:
            lines.append(_tallied(t.held_back, ngettext(
                "{count} not recorded: in a chunk with refused rows",
                "{count} not recorded: in a chunk with refused rows", t.held_back)))
        if t.warnings:
            lines.append(_tallied(t.warnings, ngettext(
                "{count} warning (above)", "{count} warnings (above)", t.warnings)))
        rate = t.rows / seconds if seconds > 0 else 0.0
        lines.append(gettext("in {seconds} s ({rate} rows/s)").format(
            seconds=number(seconds, "0.0"), rate=number(rate)))
        print("\n".join(lines), file=self.out)


def _tallied(count: int, said: str, **values: Any) -> str:
    """A line of the summary: the count right-aligned in nine places, then what it counts."""
    return said.format(count=number(count).rjust(9), **values)


def rows(count: int) -> str:
    """`1 row`, `2 rows`, `1,500 rows`; `1 řádek`, `2 řádky`, `1 500 řádků`."""
    return ngettext("{count} row", "{count} rows", count).format(count=number(count))


def refusal_line(row: int, column: str, message: str) -> str:
    """A refused row on the terminal: its number, the column (if the refusal names one) and
    why."""
    if column:
        return gettext("row {number}, {column}: {message}").format(
            number=row, column=column, message=message)
    return gettext("row {number}: {message}").format(number=row, message=message)


def report_headings() -> tuple[str, str, str]:
    """The refused-rows file's headings."""
    return gettext("Row"), gettext("Column"), gettext("Message")


def row_warnings(body: dict[str, Any] | None,
                 window: tuple[date, date]) -> list[tuple[str, str]]:
    """(field, message) for what a readable row will be recorded with but may not mean."""
    if body is None:
        return []
    found = []
    first, last = window
    tax_point = date.fromisoformat(body["tax_point_date"])
    if not first <= tax_point <= last:
        message = (gettext("{day} is before the eligibility window {first} – {last}: the "
                           "expense will be recorded but count as ineligible")
                   if tax_point < first else
                   gettext("{day} is after the eligibility window {first} – {last}: the "
                           "expense will be recorded but count as ineligible"))
        found.append(("tax_point_date", message.format(
            day=f"{tax_point:%d.%m.%Y}", first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}")))
    ico, country = body["supplier"].get("ico"), body["supplier"].get("country")
    if ico and country in (None, "CZ") and not ico_check_digit_holds(ico):
        found.append(("supplier.ico", gettext(
            "{ico} is not a valid IČO (its check digit is wrong): check it against the "
            "business register (ARES)").format(ico=ico)))
    return found


def ico_check_digit_holds(ico: str) -> bool:
    """A Czech IČO: eight digits, the last a mod 11 check of the first seven (weights 8 to
    2)."""
    if len(ico) != 8 or not ico.isdigit():
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(ico, range(8, 1, -1),
                                                                 strict=False)) % 11
    return int(ico[7]) == (11 - remainder) % 10


def _in_rows(message: str, sent: list[ExpenseRow], recorded: RecordedExpenses,
             row: ExpenseRow) -> str:
    """A refusal in the file's terms: the batch's items as rows, and a double financing with
    the amounts the project holds for the document."""
    message = ITEM_OF_BATCH.sub(lambda m: f"row {sent[int(m[1])].number}", message)
    holder = recorded.holder(row.body) if row.body is not None else None
    if message.startswith("DOUBLE_FINANCING") and holder is not None:
        recorded_with = gettext("(recorded with net {net}, VAT {vat}, eligible {eligible})")
        message += " " + recorded_with.format(net=holder["amount_net"], vat=holder["vat"],
                                              eligible=holder["eligible_amount"])
    return message


class RecordedExpenses:
    """The project's active expenses by their double-financing key, each of which may be
    claimed once by a row with the same amounts."""

    def __init__(self, expenses: list[dict[str, Any]]) -> None:
        self.by_key = {_key(e): e for e in expenses}

    def holder(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The active expense recorded for the row's document, if any."""
        return self.by_key.get(_key(body))

    def claim(self, body: dict[str, Any]) -> bool:
        """Whether the row's expense is recorded already (and so skipped)."""
        found = self.by_key.get(_key(body))
        if found is None or not _same_amounts(body, found):
            return False
        del self.by_key[_key(body)]
        return True


def _key(expense: dict[str, Any]) -> str:
    return document_key(supplier_key(expense["supplier"]), expense["document_number"],
                        expense["budget_line"])


def _same_amounts(row: dict[str, Any], recorded: dict[str, Any]) -> bool:
    wanted = [("amount_net", row["amount_net"]), ("vat", row.get("vat", "0"))]
    if row.get("eligible_amount") is not None:
        wanted.append(("eligible_amount", row["eligible_amount"]))
    return all(Decimal(value) == Decimal(recorded[name]) for name, value in wanted)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class Service:
    """The batch endpoint and the reads the import needs, with the service's answers turned
    into the import's terms: a refusal by item, or the one line why it cannot go on."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def project_id(self, project: str) -> UUID:
        """The project an id or a registration number names."""
        try:
            project_id = UUID(project)
        except ValueError:
            found = self._get(f"{API}/projects", {"registration_number": project})["projects"]
            if not found:
                raise CannotRunError(gettext("no project has the registration number {number}")
                                     .format(number=project)) from None
            return UUID(found[0]["id"])
        self._get(f"{API}/projects/{project_id}")
        return project_id

    def eligibility_window(self, project_id: UUID) -> tuple[date, date]:
        """The days a tax point must lie within for the expense to count: the eligible-from
        date to the current realisation end."""
        project = self._get(f"{API}/projects/{project_id}")
        return (date.fromisoformat(project["eligible_from"]),
                date.fromisoformat(project["realisation_end"]))

    def active_expenses(self, project_id: UUID) -> RecordedExpenses:
        expenses: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"status": "active", "limit": "1000", **({"cursor": cursor} if cursor else {})}
            page = self._get(f"{API}/projects/{project_id}/expenses", params)
            expenses.extend(page["expenses"])
            cursor = page["next_cursor"]
            if cursor is None:
                return RecordedExpenses(expenses)

    def post_batch(self, project_id: UUID, bodies: list[dict[str, Any]], *,
                   key: str | None) -> BatchAnswer:
        """Records the bodies (decides them only, without a key). A refusal replayed for the
        key (an earlier run of the same file was refused) is decided again, since the project
        may have changed since; if it now passes, it is recorded under a key of its own."""
        answer = self._post_batch(project_id, bodies, key)
        if not (key and answer.replayed and answer.refusals):
            return answer
        now = self._post_batch(project_id, bodies, None)
        if now.refusals:
            return now
        return self._post_batch(project_id, bodies, f"{key}:after:{answer.digest[:16]}")

    def _post_batch(self, project_id: UUID, bodies: list[dict[str, Any]],
                    key: str | None) -> BatchAnswer:
        path = f"{API}/projects/{project_id}/expenses/batch"
        headers = {"Idempotency-Key": key} if key else {}
        for _ in range(IN_FLIGHT_WAITS):
            response = self._send("POST", path, json={"expenses": bodies}, headers=headers,
                                  params=None if key else {"dry_run": "true"})
            body = _json(response)
            if response.status_code in (200, 201):
                return BatchAnswer({})
            if body.get("type") in BATCH_TYPES:
                return BatchAnswer(_refusals(body),
                                   response.headers.get("Idempotent-Replayed") == "true",
                                   _sha256(response.content))
            if body.get("type") != "urn:grantledger:problem:idempotency-key-in-flight":
                raise CannotRunError(_failure(response, body))
            time.sleep(float(response.headers.get("Retry-After", "1")))
        raise CannotRunError(gettext("the service is still deciding the chunk sent as {key}; "
                                     "run the import again later").format(key=key))

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self._send("GET", path, params=params)
        body = _json(response)
        if response.status_code != 200:
            raise CannotRunError(_failure(response, body))
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response. A batch whose connection was lost is sent again (under the same key,
        so nothing is recorded twice: its answer may be what was lost), and a service that is
        unavailable for a moment is asked again; a service never reached is not."""
        attempts = RETRIES if method == "POST" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as error:
                if attempt == attempts:
                    raise CannotRunError(gettext(
                        "cannot reach the service at {url} ({error}); run the import again: "
                        "what was recorded is recognised and skipped").format(
                            url=self.client.base_url, error=error)) from None
                time.sleep(0.25 * 2 ** (attempt - 1))
                continue
            if response.status_code not in (429, 502, 503, 504) or attempt == attempts:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 10.0))
        raise AssertionError("unreachable")  # pragma: no cover


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusals(body: dict[str, Any]) -> dict[int, list[tuple[str, str]]]:
    """A batch refusal's items: invalid fields (`errors` of a 422) and broken rules (`errors`
    of a 409, `rule_errors` of a 422)."""
    refusals: dict[int, list[tuple[str, str]]] = {}
    for member in ("errors", "rule_errors"):
        for index, problem in (body.get(member) or {}).items():
            if "rule" in problem and "detail" in problem:
                found = [("", f"{problem['rule']}: {problem['detail']}")]
            else:
                found = [("" if name in ("item", "_schema") else name, message)
                         for name, messages in problem.items() for message in messages]
            refusals.setdefault(int(index), []).extend(found)
    return refusals


def _failure(response: httpx.Response, body: dict[str, Any]) -> str:
    detail = body.get("detail") or response.reason_phrase
    if response.status_code == 401:
        return gettext("the service refused the token ({detail}); give an accountant's "
                       "--token").format(detail=detail)
    if response.status_code == 403:
        return gettext("the token may not record expenses ({detail})").format(detail=detail)
    return gettext("the service answered {status}: {detail}").format(
        status=response.status_code, detail=detail)
