"""An import error names the line of the export file it is about."""

from __future__ import annotations

from tokenledger.projections.ledger_file import ImportLineError


def test_import_errors_are_values_naming_the_line() -> None:
    error = ImportLineError(7, "not JSON")
    assert str(error) == "line 7: not JSON" and error.line == 7
