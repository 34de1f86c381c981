#!/usr/bin/env python3
"""Verify a Grantledger audit bundle with nothing but Python 3.8+ and its standard library.

    python3 verify.py [BUNDLE] [--digest VERSION:HASH] [--json]

BUNDLE is the bundle's zip file or the folder it was unpacked into (default: this file's
folder). The verifier

1. recomputes the hash chain from events.jsonl: each line is, byte for byte, the canonical
   JSON document that was hashed, so an event's hash is the SHA-256 of its line (without the
   line break); the first event follows 64 zeros, each event's previous_hash is the hash of
   the line before it, versions run 1, 2, … without a gap, and a payment claim's recorded
   chain_head is the hash of the version it names;
2. checks head.json (the chain head as the store held it) against the last line;
3. checks a digest saved earlier (--digest VERSION:HASH), if given: the events up to that
   version must be exactly those the digest was taken of;
4. recomputes each budget line's planned, recorded, ineligible, eligible, overrun,
   eligible_capped, paid, claimed and approved amounts from the events, prints them, and
   compares them with the budget view in views.json;
5. recomputes each monitoring indicator's value, the report it came from, its achievement
   and status on the indicators view's reference date from the report events, prints them,
   and compares them with the indicators view in views.json;
6. recomputes who held which role on the project at the head (the AccessGranted and
   AccessRevoked events), with who granted it and when, prints them, and compares them with
   the access view in views.json.

It exits with 0 when everything holds and 1 when anything does not (2: the bundle cannot be
read at all).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
DOCUMENT_KEYS = {"type", "project", "version", "recorded_at", "recorded_by", "data",
                 "previous_hash"}
EXPENSE_FIGURES = ("planned", "recorded", "ineligible", "eligible", "overrun",
                   "eligible_capped", "paid")
CLAIM_FIGURES = ("claimed", "approved")
FIGURES = EXPENSE_FIGURES + CLAIM_FIGURES
INDICATOR_FIGURES = ("value", "reported_in", "achievement", "status")
HALER = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")


class BundleError(Exception):
    """The bundle cannot be read at all."""


def canonical(document: Any) -> bytes:
    """Sorted keys, no white space, non-ASCII characters as themselves, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


# ---- reading the bundle -------------------------------------------------------------------


def read_bundle(path: Path) -> dict[str, bytes]:
    names = ("events.jsonl", "head.json", "views.json")
    files: dict[str, bytes] = {}
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                files[name] = (path / name).read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as bundle:
            for name in names:
                if name in bundle.namelist():
                    files[name] = bundle.read(name)
    else:
        raise BundleError(f"{path} is neither a folder nor a zip file")
    for name in ("events.jsonl", "head.json"):
        if name not in files:
            raise BundleError(f"the bundle has no {name}")
    return files


# ---- the chain ----------------------------------------------------------------------------


class Chain:
    """The events of events.jsonl, checked line by line; `failures` lists what does not
    hold, the first break first."""

    def __init__(self, events_jsonl: bytes) -> None:
        self.failures: list[str] = []
        self.documents: list[dict[str, Any]] = []
        self.hashes: dict[int, str] = {}
        self.first_break: int | None = None
        self.project: str | None = None
        self.last_version = 0
        self.last_hash: str | None = None
        previous = GENESIS_HASH
        lines = events_jsonl.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            previous = self._check(number, line, previous)

    def _fail(self, version: int, message: str) -> None:
        if self.first_break is None:
            self.first_break = version
        self.failures.append(f"version {version}: {message}")

    def _check(self, number: int, line: bytes, previous: str) -> str:
        expected = self.last_version + 1
        try:
            document = json.loads(line.decode("utf-8"))
        except ValueError as error:
            self._fail(expected, f"line {number} is not JSON ({error}): content unreadable")
            self.last_version, self.last_hash = expected, None
            return ""
        if not isinstance(document, dict):
            self._fail(expected, f"line {number} is not a JSON object: content unreadable")
            self.last_version, self.last_hash = expected, None
            return ""
        version = document.get("version")
        if "unreadable" in document and isinstance(version, int):
            self._fail(version, "content unreadable: the service could not decode the stored "
                                f"event ({document['unreadable']})")
            self.last_version, self.last_hash = version, None
            return ""
        if set(document) != DOCUMENT_KEYS or not isinstance(version, int):
            self._fail(expected, f"line {number} is not a hashed event document (keys "
                                 f"{sorted(document)})")
            self.last_version, self.last_hash = expected, None
            return ""
        if canonical(document) != line:
            self._fail(version, "the line is not in canonical form: it cannot be what was "
                                "hashed")
        if version != expected:
            self._fail(expected, f"version missing: the next line is version {version}")
        if self.project is None:
            self.project = document["project"]
        elif document["project"] != self.project:
            self._fail(version, f"belongs to project {document['project']}, not {self.project}")
        if document["previous_hash"] != previous:
            self._fail(version, f"link broken: previous_hash is {document['previous_hash']}, "
                                f"but the line before hashes to {previous or 'nothing'}")
        digest = hashlib.sha256(line).hexdigest()
        self._check_claim_head(version, document)
        self.hashes[version] = digest
        self.documents.append(document)
        self.last_version, self.last_hash = version, digest
        return digest

    def _check_claim_head(self, version: int, document: dict[str, Any]) -> None:
        data = document.get("data")
        head = data.get("chain_head") if isinstance(data, dict) else None
        if not isinstance(head, dict):
            return
        named = head.get("version")
        if not isinstance(named, int) or self.hashes.get(named) != head.get("hash"):
            self._fail(version, f"claim head mismatch: {document['type']} recorded the chain "
                                f"head {named}:{head.get('hash')}, which is not on the chain")

    def check_head(self, head: dict[str, Any]) -> None:
        """head.json names the last stored version and the hash stored with it."""
        if head.get("project_id") not in (None, self.project):
            self.failures.append(f"head.json is of project {head.get('project_id')}, the "
                                 f"events of {self.project}")
        if head.get("version") != self.last_version or head.get("hash") != self.last_hash:
            self.failures.append(
                f"head.json: the stored head is {head.get('version')}:{head.get('hash')}, "
                f"the events end at {self.last_version}:{self.last_hash}")

    def check_digest(self, version: int, digest: str) -> tuple[bool, str]:
        digest = digest.lower()
        if version > self.last_version:
            return False, f"the chain ends at version {self.last_version}"
        if self.first_break is not None and self.first_break <= version:
            return False, f"the chain is broken at version {self.first_break}, at or before it"
        if self.hashes.get(version) != digest:
            return False, f"version {version} hashes to {self.hashes.get(version)}"
        return True, f"version {version} hashes to {digest}: the events up to it are unchanged"


# ---- the budget ---------------------------------------------------------------------------


def budget_totals(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Each line's figures and their totals, from the events alone (DOMAIN.md's rules):
    planned after budget changes; recorded = eligible amounts of active expenses; ineligible =
    the part with a tax point date outside eligible_from … the current realisation end;
    eligible = recorded − ineligible; overrun = eligible beyond planned × (1 + tolerance),
    rounded down to the haléř; eligible_capped = eligible − overrun; paid = eligible amounts of
    active, time-eligible, paid expenses; claimed = the eligible amounts, as at submission, of
    the expenses in payment claims, an expense reversed since counting as zero; approved =
    the eligible amounts of a claim's active expenses at its approval, less exclusions."""
    lines: dict[str, dict[str, Any]] = {}
    expenses: dict[str, dict[str, Any]] = {}
    window: dict[str, Any] = {}
    claims: dict[str, list[tuple[str, str, Decimal]]] = {}
    approved: list[tuple[str, Decimal]] = []
    for document in documents:
        kind, data = document["type"], document["data"]
        if kind == "ProjectRegistered":
            lines = {line["code"]: {"name": line["name"], "planned": Decimal(line["amount"])}
                     for line in data["budget_lines"]}
            window = {"from": date.fromisoformat(data["eligible_from"]),
                      "end": date.fromisoformat(data["realisation_end"]),
                      "tolerance": Decimal(data["line_transfer_tolerance"])}
        elif kind == "ExpenseRecorded":
            expenses[data["expense_id"]] = {
                "line": data["budget_line"], "tax_point": date.fromisoformat(
                    data["tax_point_date"]),
                "eligible": Decimal(data["eligible_amount"]),
                "paid": data["paid_on"] is not None, "reversed": False}
        elif kind == "ExpensePaid":
            expenses[data["expense_id"]]["paid"] = True
        elif kind == "ExpenseCorrected":
            expense, changes = expenses[data["expense_id"]], data["changes"]
            if "budget_line" in changes:
                expense["line"] = changes["budget_line"]
            if "tax_point_date" in changes:
                expense["tax_point"] = date.fromisoformat(changes["tax_point_date"])
            if "eligible_amount" in changes:
                expense["eligible"] = Decimal(changes["eligible_amount"])
        elif kind == "ExpenseReversed":
            expenses[data["expense_id"]]["reversed"] = True
        elif kind == "BudgetChanged":
            for transfer in data["transfers"]:
                lines[transfer["from_line"]]["planned"] -= Decimal(transfer["amount"])
                lines[transfer["to_line"]]["planned"] += Decimal(transfer["amount"])
        elif kind == "RealisationEndChanged":
            window["end"] = date.fromisoformat(data["new_end"])
        elif kind == "PaymentClaimSubmitted":
            claims[data["claim_number"]] = [
                (i, expenses[i]["line"], expenses[i]["eligible"]) for i in data["expense_ids"]]
        elif kind == "PaymentClaimApproved":
            approved.extend(_approved(claims[data["claim_number"]], expenses,
                                      data["exclusions"]))
    figures = _figures(lines, expenses, window)
    _add_claims(figures, claims, expenses, approved)
    return figures


def _approved(items: list[tuple[str, str, Decimal]], expenses: dict[str, dict[str, Any]],
              exclusions: list[dict[str, Any]]) -> list[tuple[str, Decimal]]:
    """(line, amount) of a claim's active expenses at approval, and minus each exclusion."""
    active = [i for i, _, _ in items if not expenses[i]["reversed"]]
    rows = [(expenses[i]["line"], expenses[i]["eligible"]) for i in active]
    rows += [(expenses[x["expense_id"]]["line"], -Decimal(x["amount"])) for x in exclusions]
    return rows


def _add_claims(figures: dict[str, Any], claims: dict[str, list[tuple[str, str, Decimal]]],
                expenses: dict[str, dict[str, Any]], approved: list[tuple[str, Decimal]]) -> None:
    rows = {row["code"]: row for row in figures["lines"]}
    for row in rows.values():
        row["claimed"] = row["approved"] = ZERO
    for items in claims.values():
        for expense, line, eligible in items:
            if not expenses[expense]["reversed"]:
                rows[line]["claimed"] += eligible
    for line, amount in approved:
        rows[line]["approved"] += amount
    for name in CLAIM_FIGURES:
        figures["totals"][name] = sum((row[name] for row in rows.values()), ZERO)


def _figures(lines: dict[str, dict[str, Any]], expenses: dict[str, dict[str, Any]],
             window: dict[str, Any]) -> dict[str, Any]:
    sums = {code: {"recorded": ZERO, "ineligible": ZERO, "paid": ZERO} for code in lines}
    for expense in expenses.values():
        if expense["reversed"]:
            continue
        line = sums[expense["line"]]
        line["recorded"] += expense["eligible"]
        if not window["from"] <= expense["tax_point"] <= window["end"]:
            line["ineligible"] += expense["eligible"]
        elif expense["paid"]:
            line["paid"] += expense["eligible"]
    rows = []
    for code, line in lines.items():
        s = sums[code]
        eligible = s["recorded"] - s["ineligible"]
        ceiling = (line["planned"] * (1 + window["tolerance"])).quantize(HALER, ROUND_DOWN)
        overrun = max(ZERO, eligible - ceiling)
        rows.append({"code": code, "name": line["name"], "planned": line["planned"],
                     "recorded": s["recorded"], "ineligible": s["ineligible"],
                     "eligible": eligible, "overrun": overrun,
                     "eligible_capped": eligible - overrun, "paid": s["paid"]})
    totals = {name: sum((row[name] for row in rows), ZERO) for name in EXPENSE_FIGURES}
    return {"lines": rows, "totals": totals}


def compare_with_view(budget: dict[str, Any], views: dict[str, Any]) -> list[str]:
    """Where the recomputed figures differ from the budget view in views.json."""
    view = views.get("budget")
    if not isinstance(view, dict):
        return [f"views.json has no budget view ({views.get('unavailable', 'missing')})"]
    differences = []
    shown = {line["code"]: line for line in view["lines"]}
    for row in [*budget["lines"], {"code": "total", **budget["totals"]}]:
        figures = view["totals"] if row["code"] == "total" else shown.get(row["code"], {})
        for name in FIGURES:
            if Decimal(str(figures.get(name, "NaN"))) != row[name]:
                differences.append(f"budget {row['code']} {name}: recomputed {row[name]}, the "
                                   f"view says {figures.get(name)}")
    return differences


# ---- the indicators -----------------------------------------------------------------------


def indicator_figures(documents: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """Each indicator on the reference date `on`, from the events alone (DOMAIN.md's rules):
    value = from the latest submission dated on or before `on` that was not returned by then;
    achievement = (value − baseline) / (target − baseline), 4 places rounded down, 0 without
    a value; status = shortfall for a to_achieve indicator not achieved after the realisation
    end, else not_reported, achieved (achievement ≥ 1) or in_progress. A registration stored
    before version 1.1 has no indicators."""
    indicators: list[dict[str, Any]] = []
    submissions: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    end = None
    for document in documents:
        kind, data = document["type"], document["data"]
        if kind == "ProjectRegistered":
            indicators = data.get("indicators", [])
            end = date.fromisoformat(data["realisation_end"])
        elif kind == "RealisationEndChanged":
            end = date.fromisoformat(data["new_end"])
        elif kind == "ReportSubmitted":
            last[data["report"]] = {"report": data["report"], "values": data["indicator_values"],
                                    "on": date.fromisoformat(data["submitted_on"]),
                                    "returned": None}
            submissions.append(last[data["report"]])
        elif kind == "ReportReturned":
            last[data["report"]]["returned"] = date.fromisoformat(data["decided_on"])
    counted = [s for s in submissions if s["on"] <= on
               and not (s["returned"] is not None and s["returned"] <= on)]
    counted.sort(key=lambda s: s["on"])  # stable: submissions of a day stay in event order
    return [_indicator(i, counted, end is not None and on > end) for i in indicators]


def _indicator(indicator: dict[str, Any], counted: list[dict[str, Any]],
               ended: bool) -> dict[str, Any]:
    value, reported_in = None, None
    for submission in counted:
        for stated in submission["values"]:
            if stated["code"] == indicator["code"]:
                value, reported_in = Decimal(stated["value"]), submission["report"]
    baseline, target = Decimal(indicator["baseline"]), Decimal(indicator["target"])
    achievement = Decimal("0.0000") if value is None else \
        ((value - baseline) / (target - baseline)).quantize(RATIO, ROUND_FLOOR)
    met = value is not None and (value >= target if target > baseline else value <= target)
    if indicator["kind"] == "to_achieve" and ended and not met:
        status = "shortfall"
    elif value is None:
        status = "not_reported"
    else:
        status = "achieved" if met else "in_progress"
    return {"code": indicator["code"], "value": value, "reported_in": reported_in,
            "achievement": achievement, "status": status}


def compare_indicators(figures: list[dict[str, Any]], view: dict[str, Any]) -> list[str]:
    """Where the recomputed indicators differ from the indicators view in views.json."""
    shown = {row["code"]: row for row in view.get("indicators", [])}
    differences = []
    if sorted(shown) != sorted(row["code"] for row in figures):
        differences.append(f"indicators: the events register {[r['code'] for r in figures]}, "
                           f"the view shows {sorted(shown)}")
    for row in figures:
        for name in INDICATOR_FIGURES:
            found = shown.get(row["code"], {}).get(name)
            if not _same(row[name], found):
                differences.append(f"indicator {row['code']} {name}: recomputed {row[name]}, "
                                   f"the view says {found}")
    return differences


def _same(recomputed: Any, shown: Any) -> bool:
    if isinstance(recomputed, Decimal):
        try:
            return shown is not None and Decimal(str(shown)) == recomputed
        except ArithmeticError:
            return False
    return bool(recomputed == shown)


def _check_indicators(chain: Chain, views: dict[str, Any], report: dict[str, Any]) -> None:
    view = views.get("indicators")
    if not isinstance(view, dict):
        return  # a bundle written before version 1.1 has no indicators view
    try:
        figures = indicator_figures(chain.documents, date.fromisoformat(view["on"]))
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        chain.failures.append(f"the indicators cannot be recomputed from the events: "
                              f"{type(error).__name__} {error}")
        return
    report["indicators"] = _as_text(figures)
    chain.failures.extend(compare_indicators(figures, view))


# ---- who may act on the project -----------------------------------------------------------


def access_grants(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grants in force after the events, by subject: each subject's role, name, and who
    granted it when (the event's recorded_by and recorded_at)."""
    grants: dict[str, dict[str, Any]] = {}
    for document in documents:
        kind, data = document["type"], document["data"]
        if kind == "AccessGranted":
            by = document["recorded_by"]
            grants[data["subject"]] = {
                "subject": data["subject"], "name": data["name"], "role": data["role"],
                "granted_by": {"name": by["name"], "subject": by.get("subject", by["name"])},
                "granted_at": document["recorded_at"]}
        elif kind == "AccessRevoked":
            if data["subject"] not in grants:
                raise ValueError(f"version {document['version']} revokes a grant "
                                 f"{data['subject']!r} does not hold")
            del grants[data["subject"]]
    return [grants[subject] for subject in sorted(grants)]


def compare_access(grants: list[dict[str, Any]], view: dict[str, Any]) -> list[str]:
    """Where the recomputed grants differ from the access view in views.json."""
    shown = [{**grant, "granted_at": _moment(grant["granted_at"])}
             for grant in view.get("grants", [])]
    recomputed = [{**grant, "granted_at": _moment(grant["granted_at"])} for grant in grants]
    if shown == recomputed:
        return []
    return [f"access: recomputed {recomputed}, the view says {shown}"]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check_access(chain: Chain, views: dict[str, Any], report: dict[str, Any]) -> None:
    view = views.get("access")
    if not isinstance(view, dict):
        return  # a bundle written before version 1.2 has no access view
    try:
        grants = access_grants(chain.documents)
    except (KeyError, TypeError, ValueError) as error:
        chain.failures.append(f"the grants cannot be recomputed from the events: "
                              f"{type(error).__name__} {error}")
        return
    report["access"] = grants
    chain.failures.extend(compare_access(grants, view))


# ---- the report ---------------------------------------------------------------------------


def verify(path: Path, digest: tuple[int, str] | None) -> dict[str, Any]:
    files = read_bundle(path)
    chain = Chain(files["events.jsonl"])
    try:
        chain.check_head(json.loads(files["head.json"]))
    except ValueError as error:
        chain.failures.append(f"head.json is not JSON: {error}")
    report: dict[str, Any] = {"project_id": chain.project, "events": len(chain.documents),
                              "head": {"version": chain.last_version, "hash": chain.last_hash},
                              "digest": None, "budget": None, "indicators": None,
                              "access": None}
    if digest is not None:
        on_chain, detail = chain.check_digest(*digest)
        report["digest"] = {"version": digest[0], "hash": digest[1], "on_chain": on_chain,
                            "detail": detail}
        if not on_chain:
            chain.failures.append(f"digest {digest[0]}:{digest[1]} is not on the chain: {detail}")
    try:
        budget = budget_totals(chain.documents)
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        chain.failures.append(f"the budget cannot be recomputed from the events: "
                              f"{type(error).__name__} {error}")
    else:
        report["budget"] = _as_text(budget)
        if "views.json" in files:
            views = json.loads(files["views.json"])
            chain.failures.extend(compare_with_view(budget, views))
            _check_indicators(chain, views, report)
            _check_access(chain, views, report)
    report["failures"] = chain.failures
    report["ok"] = not chain.failures
    return report


def _as_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return value


def print_report(report: dict[str, Any]) -> None:
    head = report["head"]
    print(f"project {report['project_id']}: {report['events']} events, head "
          f"{head['version']}:{head['hash']}")
    if report["digest"] is not None:
        d = report["digest"]
        print(f"digest {d['version']}:{d['hash']}: "
              f"{'on the chain' if d['on_chain'] else 'NOT on the chain'} ({d['detail']})")
    if report["budget"] is not None:
        print(f"\n{'line':<22}" + "".join(f"{name:>17}" for name in FIGURES))
        rows = [*report["budget"]["lines"], {"code": "TOTAL", **report["budget"]["totals"]}]
        for row in rows:
            print(f"{row['code']:<22}" + "".join(f"{row[name]:>17}" for name in FIGURES))
        print()
    if report["indicators"]:
        print(f"{'indicator':<22}" + "".join(f"{name:>17}" for name in INDICATOR_FIGURES))
        for row in report["indicators"]:
            print(f"{row['code']:<22}" + "".join(f"{row[name] or '-':>17}"
                                                 for name in INDICATOR_FIGURES))
        print()
    if report["access"]:
        print("who may act on the project at the head:")
        for grant in report["access"]:
            print(f"  {grant['role']:<11} {grant['subject']} ({grant['name']}), granted by "
                  f"{grant['granted_by']['name']} at {grant['granted_at']}")
        print()
    for failure in report["failures"]:
        print(f"FAIL {failure}")
    if report["ok"]:
        digest = ", the digest is on it" if report["digest"] else ""
        checked = ["the budget"] + (["the indicators"] if report["indicators"] else []) + (
            ["the grants"] if report["access"] is not None else [])
        figures = " and ".join([", ".join(checked[:-1]), checked[-1]] if len(checked) > 1
                               else checked)
        print(f"OK: the chain holds{digest} and {figures} reconcile with the views")
    else:
        print(f"VERIFICATION FAILED ({len(report['failures'])} findings)")


def parse_digest(text: str) -> tuple[int, str]:
    version, _, digest = text.partition(":")
    if not version.isdigit() or int(version) < 1 or len(digest) != 64 or \
            any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise argparse.ArgumentTypeError("a digest is VERSION:HASH, e.g. 12:<64 hex digits>")
    return int(version), digest.lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=Path(__file__).resolve().parent,
                        help="the bundle's zip file or unpacked folder (default: this folder)")
    parser.add_argument("--digest", type=parse_digest, metavar="VERSION:HASH",
                        help="a chain head saved earlier, to check it is still on the chain")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = verify(args.bundle, args.digest)
    except (BundleError, OSError, zipfile.BadZipFile) as error:
        print(f"verify.py: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print_report(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
