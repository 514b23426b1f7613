"""The plain tests of tools/ (pytest functions, hypothesis properties) under Odoo's own
test runner too (odoo-bin --test-enable), which only runs unittest test cases.

A module of plain tests ends with ``OdooRunner = odoo_test_case(globals())``: one test
case whose methods call the module's ``test_*`` functions, each parametrized case a
subtest, module fixtures called once. pytest runs the functions themselves and skips
this class (``__test__ = False``), so nothing runs twice.
"""

import inspect
import itertools

from odoo.tests import BaseCase, tagged


def _parametrizations(function):
    """[{argument: value}] of the function's ``pytest.mark.parametrize`` marks."""
    combos = [{}]
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [name.strip() for name in names.split(",")] if isinstance(names, str) else names
        rows = [
            dict(zip(names, value if len(names) > 1 else (value,), strict=True)) for value in values
        ]
        combos = [{**combo, **row} for combo, row in itertools.product(combos, rows)]
    return combos


def odoo_test_case(namespace):
    """A test case (tagged post_install) running the plain tests of ``namespace``."""
    fixtures = {
        name: value
        for name, value in namespace.items()
        if hasattr(value, "_get_wrapped_function")  # pytest fixtures
    }
    cache = {}

    def fixture(name):
        if name not in cache:
            cache[name] = fixtures[name]._get_wrapped_function()()
        return cache[name]

    def method_for(function):
        def method(self):
            parameters = inspect.signature(function).parameters
            for case in _parametrizations(function):
                arguments = dict(case)
                for name in parameters:
                    if name not in arguments and name in fixtures:
                        arguments[name] = fixture(name)
                with self.subTest(**{key: str(value)[:60] for key, value in case.items()}):
                    function(**arguments)

        method.__doc__ = function.__doc__
        return method

    attributes = {
        name: method_for(value)
        for name, value in namespace.items()
        if name.startswith("test_") and callable(value) and not isinstance(value, type)
    }
    attributes.update(__test__=False, __module__=namespace["__name__"])
    return tagged("post_install", "-at_install")(type("OdooRunner", (BaseCase,), attributes))
