"""Copies of event data: containers copied at every depth, immutable values shared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.copies import detached


def test_a_detached_copy_shares_no_dict_or_list_and_equals_the_original() -> None:
    original = {"supplier": {"name": "Dodavatel, s.r.o.", "ico": "12345678"},
                "attachments": [{"name": "invoice.pdf", "tags": ["scan"]}],
                "amount": Decimal("10.00"), "on": date(2017, 6, 15), "note": None}

    copy = detached(original)
    original["supplier"]["ico"] = "87654321"
    original["attachments"][0]["tags"].append("signed")
    original["attachments"].append({"name": "later.pdf"})

    assert copy == {"supplier": {"name": "Dodavatel, s.r.o.", "ico": "12345678"},
                    "attachments": [{"name": "invoice.pdf", "tags": ["scan"]}],
                    "amount": Decimal("10.00"), "on": date(2017, 6, 15), "note": None}
    assert copy["amount"] is original["amount"]
