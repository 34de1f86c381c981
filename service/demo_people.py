"""The demo's projects and people, apart from their data: `serve --dev` makes the people's
tokens without loading the ledger's modules (prometheus-client must not be imported before
`serve` has chosen the metrics folder)."""

from __future__ import annotations

from dataclasses import dataclass

from service.principals import NO_GLOBAL_ROLE

NEK_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0002300"
NANOPROGRESS_NUMBER = "DEMO/NANOPROGRESS"  # not published: a placeholder


@dataclass(frozen=True)
class DemoPerson:
    """A named person of the demo: a static token's holder (`serve --dev` makes the token)
    with a global role or none, and a grant on one project or none."""

    name: str
    full_name: str
    global_role: str
    project: str | None
    role: str | None
    who: str


PEOPLE = (
    DemoPerson("jana.novakova", "Jana Nováková", NO_GLOBAL_ROLE, NEK_NUMBER, "accountant",
               "NEK's accountant"),
    DemoPerson("petr.svoboda", "Petr Svoboda", NO_GLOBAL_ROLE, NANOPROGRESS_NUMBER, "manager",
               "Nanoprogress's project manager"),
    DemoPerson("eva.dvorakova", "Eva Dvořáková", "auditor", None, None,
               "the provider's auditor, on every project"),
)
