"""Templates of spreadsheets the service reads: the expenses `grantledger import` takes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from schemas import TemplateQuerySchema
from service.sheets.template import template_csv, template_workbook
from service.web.api.common import Blueprint, project_ledger
from service.web.api.files import MEDIA_TYPES, file_name, file_response
from service.web.auth import EXPENSES, requires
from service.web.urls import API

blp = Blueprint("templates", __name__, url_prefix=f"{API}/projects/<uuid:project_id>/templates",
                description="Spreadsheet templates to fill in and import.")
STEM = {"cs": "sablona-vydaju", "en": "expenses-template"}


@blp.route("/expenses", methods=["GET"])
@requires(EXPENSES)
@blp.arguments(TemplateQuerySchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=MEDIA_TYPES["xlsx"])
@blp.alt_response(200, schema={"type": "string", "format": "binary"},
                  content_type=MEDIA_TYPES["csv"])
def expenses_template(query: dict[str, Any], project_id: UUID) -> Any:
    """The import template for expenses

    The columns `grantledger import expenses` reads, headed in Czech (`lang=cs`, the default)
    or English. As XLSX (the default) the project's budget lines, activities and document
    types are drop-down lists, with a sheet of instructions; as CSV, the heading row alone.
    """
    state = project_ledger(project_id)
    lang, file_format = query["lang"], query["format"]
    content = (template_csv(lang) if file_format == "csv"
               else template_workbook(state, lang, state.last_recorded_at))
    return file_response(content, file_format,
                         file_name(state, STEM[lang], extension=file_format))
