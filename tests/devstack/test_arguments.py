"""`make test PYTEST_ARGS=...` hands pytest its arguments as given, options first or not
(`-m "not soak"` is how the soak run is left out locally)."""

from __future__ import annotations

import pytest

from devstack.__main__ import parse_arguments


@pytest.mark.parametrize("pytest_args", [
    ["-m", "not soak"],
    ["-q", "-m", "not soak", "tests/kgc_erp"],
    ["tests/kgc_erp", "-x", "-p", "no:cacheprovider"],
    [],
])
def test_pytest_arguments_pass_through_in_order(pytest_args: list[str]) -> None:
    args = parse_arguments(["test", *pytest_args])
    assert args.command == "test"
    assert args.pytest_args == pytest_args


def test_run_takes_its_own_options_and_refuses_others() -> None:
    assert parse_arguments(["run", "--port", "8001"]).port == 8001
    with pytest.raises(SystemExit):
        parse_arguments(["run", "-x"])
