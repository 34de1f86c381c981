"""Demo data: the two reference projects of DOMAIN.md, recorded through the use cases.

NEK's split into lines, its stages, sub-activities, expenses, claims, indicator targets and
report dates are illustrative (the programme does not publish them); so is everything of
Nanoprogress beyond its title, period and the ECEI Gold label. NEK's first implementation
report is returned and submitted again; its final sustainability report is overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.commands import (
    AchieveMilestone,
    ApproveClaim,
    ApproveReport,
    ChangeBudget,
    CompleteActivity,
    GrantAccess,
    PaySubsidy,
    ProjectCommand,
    RecordExpense,
    RegisterProject,
    ReturnReport,
    StartActivity,
    SubmitClaim,
    SubmitReport,
)
from service.application import LedgerApplication
from service.demo_people import NANOPROGRESS_NUMBER, NEK_NUMBER, PEOPLE
from service.principals import Actor

ILLUSTRATIVE_NOTE = ("NEK's split of its budget into lines, its stages, expenses and claims, "
                     "its indicator targets and report dates, and Nanoprogress's budget and "
                     "reports, are illustrative: the programme does not publish them.")

MANAGER = Actor.static("demo-manager", "manager")
ACCOUNTANT = Actor.static("demo-accountant", "accountant")
AUDITOR = Actor.static("demo-auditor", "auditor")
ADMIN = Actor.static("demo-admin", "admin")


def d(text: str) -> date:
    return date.fromisoformat(text)


def czk(text: str) -> Decimal:
    return Decimal(text)


def expense_id(project: str, number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"grantledger-demo/{project}/{number}")


NEK_REGISTRATION: dict[str, Any] = {
    "registration_number": NEK_NUMBER,
    "acronym": "OPEIC",
    "title": ("Development and strengthening of international cooperation of NEK in the field "
              "of intelligent technologies and energy systems"),
    "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                    "vat_payer": True},
    "programme": "OP PIK", "call": "Spolupráce – Klastry, výzva I", "provider": "MPO",
    "realisation_start": d("2016-04-01"), "realisation_end": d("2018-03-31"),
    "currency": "CZK", "support_rate": czk("0.50"), "max_subsidy": czk("3888100.00"),
    "line_transfer_tolerance": czk("0.00"), "claim_deadline_days": 60,
    "budget_lines": [
        {"code": "PERSONNEL", "name": "Personnel costs", "amount": czk("2400000.00")},
        {"code": "EXTERNAL_SERVICES", "name": "Services of advisers, experts, studies",
         "amount": czk("2276200.00")},
        {"code": "TRAVEL", "name": "Travel", "amount": czk("900000.00")},
        {"code": "MARKETING_PROMOTION", "name": "Marketing and promotion",
         "amount": czk("800000.00")},
        {"code": "SEMINARS_CONFERENCES", "name": "Seminars and conferences",
         "amount": czk("1200000.00")},
        {"code": "RENT", "name": "Rent", "amount": czk("200000.00")},
    ],
    "activities": [
        {"code": "1", "title": "External R&D&I cooperation", "planned_start": d("2016-04-01"),
         "planned_end": d("2018-03-31")},
        {"code": "1.1", "parent": "1", "title": "Support centre for international cooperation",
         "planned_start": d("2016-04-01"), "planned_end": d("2016-12-31")},
        {"code": "1.2", "parent": "1", "title": "Internationalisation strategy",
         "planned_start": d("2016-04-01"), "planned_end": d("2016-09-30")},
        {"code": "1.3", "parent": "1", "title": "Workshops and matchmaking",
         "planned_start": d("2016-09-01"), "planned_end": d("2018-02-28")},
        {"code": "1.4", "parent": "1", "title": "International conferences",
         "planned_start": d("2016-10-01"), "planned_end": d("2018-03-31")},
        {"code": "2", "title": "Cooperation with Fraunhofer", "planned_start": d("2016-06-01"),
         "planned_end": d("2017-12-31")},
        {"code": "3", "title": "Promoting NEK abroad", "planned_start": d("2016-04-01"),
         "planned_end": d("2018-03-31")},
        {"code": "3.1", "parent": "3", "title": "Presentation at foreign fairs",
         "planned_start": d("2016-05-01"), "planned_end": d("2017-11-30")},
        {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
         "planned_start": d("2017-01-01"), "planned_end": d("2017-09-30")},
        {"code": "4", "title": "International cluster networks", "planned_start": d("2016-07-01"),
         "planned_end": d("2018-03-31")},
        {"code": "5", "title": "Coordinated approach to foreign markets",
         "planned_start": d("2017-01-01"), "planned_end": d("2018-03-31")},
    ],
    "milestones": [
        {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": d("2017-09-30"),
         "activity": "3.4"},
    ],
    "stages": [
        {"code": "1", "start": d("2016-04-01"), "end": d("2017-03-31")},
        {"code": "2", "start": d("2017-04-01"), "end": d("2018-03-31")},
    ],
    # Illustrative targets: NEK's indicators are not published.
    "indicators": [
        {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
         "baseline": czk("0"), "target": czk("5"), "kind": "to_achieve"},
        {"code": "PROPOSALS", "name": "Joint R&D&I project proposals", "unit": "proposals",
         "baseline": czk("0"), "target": czk("3"), "kind": "to_select"},
    ],
}

# (report, submitted on, foreign partners, joint proposals, comment on the proposals)
NEK_REPORTS = [
    ("ZOR-1", "2017-05-02", "2", "0", "none yet; two in preparation with Fraunhofer ISE"),
    ("ZOR-1", "2017-05-24", "2", "0", "none yet: a proposal with Fraunhofer ISE (smart grids) "
     "and one with the Bavarian energy cluster are in preparation"),
    ("ZZOR", "2018-04-18", "5", "2", "Horizon 2020 smart-grid proposal and an Interreg "
     "proposal submitted"),
    ("ZOU-1", "2019-04-15", "6", "2", "no further proposal this year"),
    ("ZOU-2", "2020-04-20", "6", "3", "a joint proposal with the Austrian cluster"),
    ("ZOU-3", "2021-04-28", "7", "3", "no further proposal this year"),
    ("ZOU-4", "2022-04-26", "7", "3", "no further proposal this year"),
]

# (number, line, activity, supplier, ico, description, tax point, net, VAT, paid on)
NEK_EXPENSES: list[tuple[str, str, str | None, str, str | None, str, str, str, str, str | None]] = [
    ("PR-2016-06", "PERSONNEL", "1.1", "Národní energetický klastr, z.s.", "01234567",
     "Project manager and coordinator salaries, April–June 2016", "2016-06-30",
     "540000.00", "0.00", "2016-07-12"),
    ("FV-2016-0042", "TRAVEL", "2", "Fraunhofer-Gesellschaft", None,
     "Joint workshop, Stuttgart", "2016-06-15", "100000.00", "21000.00", "2016-06-30"),
    ("FV-2016-0107", "EXTERNAL_SERVICES", "1.2", "EGÚ Brno, a.s.", "46900896",
     "Internationalisation strategy study", "2016-09-20", "650000.00", "136500.00",
     "2016-10-15"),
    ("FV-2016-0161", "SEMINARS_CONFERENCES", "1.4", "Clarion Congress Hotel Prague", "27386929",
     "Smart Energy Forum Prague, venue and catering", "2016-11-08", "420000.00", "88200.00",
     "2016-11-30"),
    ("FV-2016-0031", "EXTERNAL_SERVICES", "1.1", "Energy Consulting, s.r.o.", "27432424",
     "Preparatory analysis invoiced before the project started", "2016-03-15", "30000.00",
     "6300.00", "2016-04-10"),
    ("FV-2017-0012", "MARKETING_PROMOTION", "3.1", "Expo Media, s.r.o.", "25732404",
     "Stand at Hannover Messe 2017", "2017-02-28", "380000.00", "79800.00", "2017-03-20"),
    ("NS-2017-0003", "RENT", None, "Technologický park Praha, a.s.", "26201968",
     "Office rent, project office, 2016–2017", "2017-03-31", "150000.00", "31500.00",
     "2017-03-31"),
    ("PR-2017-06", "PERSONNEL", "1.3", "Národní energetický klastr, z.s.", "01234567",
     "Project staff salaries, January–June 2017", "2017-06-30", "980000.00", "0.00",
     "2017-07-12"),
    ("FV-2017-0233", "EXTERNAL_SERVICES", "3.4", "ESCA – European Secretariat for Cluster "
     "Analysis", None, "ECEI Bronze Label benchmarking", "2017-08-15", "95000.00", "0.00",
     "2017-09-01"),
    ("CP-2017-0019", "TRAVEL", "4", "Národní energetický klastr, z.s.", "01234567",
     "Missions to cluster networks in Bavaria and Austria", "2017-10-12", "310000.00",
     "0.00", "2017-10-31"),
    ("FV-2017-0390", "SEMINARS_CONFERENCES", "1.3", "Clarion Congress Hotel Prague", "27386929",
     "Matchmaking days with Korean and Russian partners", "2017-11-21", "515000.00",
     "108150.00", "2017-12-15"),
    ("FV-2018-0020", "MARKETING_PROMOTION", "5", "Expo Media, s.r.o.", "25732404",
     "Promotional materials for foreign markets", "2018-02-14", "290000.00", "60900.00",
     "2018-03-05"),
    ("PR-2018-03", "PERSONNEL", "5", "Národní energetický klastr, z.s.", "01234567",
     "Project staff salaries, July 2017–March 2018", "2018-03-31", "760000.00", "0.00", None),
]

# (activity, started on, completed on)
NEK_SCHEDULE = [
    ("1", "2016-04-01", "2018-03-31"), ("1.1", "2016-04-01", "2016-12-20"),
    ("1.2", "2016-04-15", "2016-10-10"), ("1.3", "2016-09-05", "2018-02-20"),
    ("1.4", "2016-10-01", "2018-03-28"), ("2", "2016-06-01", "2017-12-15"),
    ("3", "2016-04-01", "2018-03-31"), ("3.1", "2016-05-10", "2017-11-30"),
    ("3.4", "2017-02-01", "2018-02-15"), ("4", "2016-09-01", "2018-03-30"),
    ("5", "2017-01-05", "2018-04-15"),
]


def record_nek(app: LedgerApplication) -> UUID:
    project_id = app.register(RegisterProject(NEK_REGISTRATION), MANAGER).project.id
    run = _runner(app, project_id)
    for number, line, activity, supplier, ico, text, tax_point, net, vat, paid in NEK_EXPENSES:
        run(ACCOUNTANT, RecordExpense, expense_id=expense_id("nek", number),
            document_number=number, document_type=_document_type(number),
            supplier={"name": supplier, "ico": ico, "country": "DE" if ico is None else "CZ"},
            description=text, budget_line=line, activity=activity,
            tax_point_date=d(tax_point), amount_net=czk(net), vat=czk(vat), eligible_amount=None,
            paid_on=d(paid) if paid else None, attachments=[])
    for code, started, completed in NEK_SCHEDULE:
        run(MANAGER, StartActivity, activity=code, started_on=d(started), note=None)
        if completed:
            run(MANAGER, CompleteActivity, activity=code, completed_on=d(completed), note=None)
    run(MANAGER, AchieveMilestone, milestone="ECEI_BRONZE", achieved_on=d("2018-02-15"),
        evidence="ECEI Bronze Label certificate issued by ESCA", evidence_sha256=None)
    run(MANAGER, ChangeBudget, change_id="ZZ-1", kind="approved",
        transfers=[{"from_line": "RENT", "to_line": "TRAVEL", "amount": czk("50000.00")}],
        reference="MPO change decision 1", reason="More missions abroad, less office space")
    stage_one = ["PR-2016-06", "FV-2016-0042", "FV-2016-0107", "FV-2016-0161", "FV-2017-0012",
                 "NS-2017-0003"]
    run(MANAGER, SubmitClaim, claim_number="1", stage="1", submitted_on=d("2017-05-10"),
        final=False, expense_ids=[expense_id("nek", n) for n in stage_one])
    run(AUDITOR, ApproveClaim, claim_number="1", approved_on=d("2017-08-01"), exclusions=[
        {"expense_id": expense_id("nek", "FV-2016-0161"), "amount": czk("20000.00"),
         "reason": "Catering above the programme's limit per participant"}])
    run(AUDITOR, PaySubsidy, claim_number="1", amount=czk("1110000.00"), paid_on=d("2017-09-05"))
    stage_two = ["PR-2017-06", "FV-2017-0233", "CP-2017-0019", "FV-2017-0390", "FV-2018-0020"]
    run(MANAGER, SubmitClaim, claim_number="2", stage="2", submitted_on=d("2018-04-20"),
        final=True, expense_ids=[expense_id("nek", n) for n in stage_two])
    record_nek_reports(run)
    return project_id


def record_nek_reports(run: Callable[..., Any]) -> None:
    """ZOR-1 returned for its thin comment and submitted again; the final implementation
    report and four sustainability reports; the final sustainability report (ZZOU, due
    2023-04-30) is never submitted, so it is overdue."""
    for code, submitted_on, partners, proposals, comment in NEK_REPORTS:
        run(MANAGER, SubmitReport, report=code, submitted_on=d(submitted_on), indicator_values=[
            {"code": "PARTNERS", "value": czk(partners),
             "comment": "cooperation agreements signed (Fraunhofer ISE, clusters in Bavaria, "
                        "Austria, Slovakia, Korea)"},
            {"code": "PROPOSALS", "value": czk(proposals), "comment": comment},
        ], narrative=None)
        if (code, submitted_on) == ("ZOR-1", "2017-05-02"):
            run(AUDITOR, ReturnReport, report=code, decided_on=d("2017-05-15"),
                reason="The comment on the joint proposals must name them and their partners.")
        else:
            run(AUDITOR, ApproveReport, report=code,
                decided_on=d(submitted_on) + timedelta(days=30))


NANOPROGRESS_REGISTRATION: dict[str, Any] = {
    "registration_number": NANOPROGRESS_NUMBER,
    "acronym": "NANOPROGRESS",
    "title": "Development of inter-cluster cross-border cooperation in emerging industries",
    "beneficiary": {"name": "Nanoprogress, z.s.", "ico": "22829946", "vat_payer": False},
    "programme": "OP PIK", "call": "Spolupráce – Klastry", "provider": "MPO",
    "realisation_start": d("2016-01-01"), "realisation_end": d("2017-12-31"),
    "currency": "CZK", "support_rate": czk("0.50"), "max_subsidy": czk("1350000.00"),
    "budget_lines": [
        {"code": "PERSONNEL", "name": "Personnel costs", "amount": czk("1200000.00")},
        {"code": "EXTERNAL_SERVICES", "name": "Services of advisers, experts, studies",
         "amount": czk("800000.00")},
        {"code": "MARKETING_PROMOTION", "name": "Marketing and PR", "amount": czk("400000.00")},
        {"code": "TRAVEL", "name": "Travel", "amount": czk("300000.00")},
    ],
    "activities": [
        {"code": "NEEDS", "title": "Needs of the members", "planned_start": d("2016-01-01"),
         "planned_end": d("2016-06-30")},
        {"code": "PARTNERS", "title": "Mapping of partners", "planned_start": d("2016-03-01"),
         "planned_end": d("2016-12-31")},
        {"code": "MARKETS", "title": "Target markets (Russia, South Korea analysed)",
         "planned_start": d("2016-06-01"), "planned_end": d("2017-06-30")},
        {"code": "PR", "title": "PR", "planned_start": d("2016-01-01"),
         "planned_end": d("2017-12-31")},
        {"code": "ECEI", "title": "ECEI Gold label", "planned_start": d("2017-01-01"),
         "planned_end": d("2017-11-30")},
    ],
    "milestones": [
        {"code": "ECEI_GOLD", "title": "ECEI Gold Label obtained", "due": d("2017-11-30"),
         "activity": "ECEI"},
    ],
}


def record_nanoprogress(app: LedgerApplication) -> UUID:
    project_id = app.register(RegisterProject(NANOPROGRESS_REGISTRATION), MANAGER).project.id
    run = _runner(app, project_id)
    run(ACCOUNTANT, RecordExpense, expense_id=expense_id("nano", "FV-2016-0008"),
        document_number="FV-2016-0008", document_type="invoice",
        supplier={"name": "Market Research Korea Ltd.", "ico": None, "country": "KR"},
        description="Analysis of the South Korean market", budget_line="EXTERNAL_SERVICES",
        activity="MARKETS", tax_point_date=d("2016-11-30"), amount_net=czk("240000.00"),
        vat=czk("0.00"), eligible_amount=None, paid_on=d("2016-12-20"), attachments=[])
    for code in ("NEEDS", "MARKETS", "ECEI"):
        run(MANAGER, StartActivity, activity=code, started_on=d("2016-01-15") if code == "NEEDS"
            else d("2017-01-10"), note=None)
    run(MANAGER, CompleteActivity, activity="NEEDS", completed_on=d("2016-06-20"), note=None)
    run(MANAGER, AchieveMilestone, milestone="ECEI_GOLD", achieved_on=d("2017-10-20"),
        evidence="ECEI Gold Label after the two-day on-site assessment", evidence_sha256=None)
    # One stage: the final implementation report, then five yearly sustainability reports.
    for code, submitted_on in (("ZZOR", "2018-02-20"), ("ZOU-1", "2019-01-21"),
                               ("ZOU-2", "2020-01-27"), ("ZOU-3", "2021-01-25"),
                               ("ZOU-4", "2022-01-24"), ("ZZOU", "2023-01-23")):
        run(MANAGER, SubmitReport, report=code, submitted_on=d(submitted_on),
            indicator_values=[], narrative="Cross-border cooperation continues as planned.")
        run(AUDITOR, ApproveReport, report=code, decided_on=d(submitted_on) + timedelta(days=21))
    return project_id


def load_demo(app: LedgerApplication, say: Callable[[str], None] = print) -> list[UUID]:
    """Records both projects; a project already in the store is left as it is."""
    loaded = []
    for number, record in ((NEK_NUMBER, record_nek), (NANOPROGRESS_NUMBER, record_nanoprogress)):
        project_id = app.id_for(number)
        if app.project_exists(project_id):
            say(f"{number}: already in the store ({project_id})")
        else:
            record(app)
            _grant_demo_people(app, number)
            say(f"{number}: recorded ({project_id})")
        loaded.append(project_id)
    say(ILLUSTRATIVE_NOTE)
    return loaded


def _grant_demo_people(app: LedgerApplication, number: str) -> None:
    run = _runner(app, app.id_for(number))
    for person in PEOPLE:
        if person.project == number:
            run(ADMIN, GrantAccess, subject=person.name, role=person.role, name=person.full_name)


def _runner(app: LedgerApplication, project_id: UUID) -> Callable[..., Any]:
    def run(actor: Actor, command: type[ProjectCommand], **fields: Any) -> Any:
        return app.handle(command(project_id=project_id, **fields), actor)

    return run


def _document_type(number: str) -> str:
    return {"PR": "payroll", "CP": "travel", "NS": "invoice"}.get(number[:2], "invoice")
