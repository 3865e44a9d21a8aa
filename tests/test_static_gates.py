"""Static gates: constructs that let user data reach a page or a query unescaped.

These read the source, not the running app, so a new template or module is
covered the moment it exists. Each gate names the construct and the file and
line where it was found.

- ``|safe`` and ``{% autoescape false %}`` in templates: autoescape is the
  only thing between people's text and the page; nothing switches it off.
- ``Markup(...)`` in ``vas/``: allowed on a string literal (our own markup);
  on anything else only with a ``# markup: <reason>`` comment on the line or
  the line above, saying why the value holds no user text unescaped.
- ``lazy_gettext`` (``_l``) with a value put in: a lazy string counts as
  markup (``__html__``), so what is interpolated into it is never escaped.
  Allowed for constants and money (``format_money``); anything else needs
  the ``# markup:`` reason, or ``gettext`` at request time instead.
- ``render_template_string`` and ``Environment.from_string``: templates are
  files of ours, never data (template injection).
- SQL text built with f-strings, ``%`` or ``.format`` (``text``,
  ``exec_driver_sql``, ``execute``, ``op.execute``) in ``vas/`` and
  ``migrations/``: values go in as bound parameters.
- ``print(`` in ``vas/``: module loggers only.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vas"
SOURCES = sorted(PACKAGE.rglob("*.py"))
MIGRATIONS = sorted((ROOT / "migrations").rglob("*.py"))
TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html"))

SAFE_FILTER = re.compile(r"\|\s*safe\b")
AUTOESCAPE_OFF = re.compile(r"{%-?\s*autoescape\s+(false|False)\b")
MARKUP_REASON = re.compile(r"#\s*markup:\s*\S")
SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript", "executemany"}
TEMPLATE_FROM_TEXT = {"render_template_string", "from_string"}


def _where(path: Path, line: int) -> str:
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"{shown}:{line}"


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_built_string(node: ast.expr) -> bool:
    """Tell whether an expression builds text at run time from other values."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _is_stringish(node.left) or _is_stringish(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _is_stringish(node.func.value)
    return False


def _is_stringish(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.JoinedStr) or _is_built_string(node)


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def find_sql_built_from_strings(paths) -> list[str]:
    found = []
    for path in paths:
        for call in _calls(path):
            if _called_name(call) in SQL_CALLS and call.args:
                if _is_built_string(call.args[0]):
                    found.append(_where(path, call.lineno))
    return found


def find_markup_on_values(paths) -> list[str]:
    found = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for call in _calls(path):
            if _called_name(call) != "Markup" or not call.args:
                continue
            argument = call.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                continue
            nearby = lines[max(0, call.lineno - 2) : call.lineno]
            if not any(MARKUP_REASON.search(line) for line in nearby):
                found.append(_where(path, call.lineno))
    return found


LAZY = {"_l", "lazy_gettext"}
SAFE_VALUE_CALLS = {"format_money"}


def _is_plain_value(node: ast.expr) -> bool:
    """A constant, an UPPER_CASE name, or money formatted by us."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    return isinstance(node, ast.Call) and _called_name(node) in SAFE_VALUE_CALLS


def find_lazy_strings_with_values(paths) -> list[str]:
    found = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for call in _calls(path):
            if _called_name(call) not in LAZY or not call.keywords:
                continue
            if all(_is_plain_value(k.value) for k in call.keywords):
                continue
            nearby = lines[max(0, call.lineno - 3) : call.lineno]
            if not any(MARKUP_REASON.search(line) for line in nearby):
                found.append(_where(path, call.lineno))
    return found


def find_template_from_text(paths) -> list[str]:
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            named = None
            if isinstance(node, ast.Call):
                named = _called_name(node)
            elif isinstance(node, ast.ImportFrom):
                named = next(
                    (a.name for a in node.names if a.name in TEMPLATE_FROM_TEXT), None
                )
            if named in TEMPLATE_FROM_TEXT:
                found.append(_where(path, node.lineno))
    return found


def find_prints(paths) -> list[str]:
    return [
        _where(path, call.lineno)
        for path in paths
        for call in _calls(path)
        if isinstance(call.func, ast.Name) and call.func.id == "print"
    ]


def find_unescaped_templates(paths) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if SAFE_FILTER.search(line) or AUTOESCAPE_OFF.search(line):
                found.append(_where(path, number + 1))
    return found


def test_the_gates_read_every_source():
    assert len(SOURCES) > 50 and len(TEMPLATES) > 50 and len(MIGRATIONS) > 10


def test_no_template_switches_escaping_off():
    assert find_unescaped_templates(TEMPLATES) == []


def test_markup_wraps_only_our_own_text():
    assert find_markup_on_values(SOURCES) == []


def test_no_lazy_string_carries_a_value_unescaped():
    assert find_lazy_strings_with_values(SOURCES) == []


def test_no_template_is_rendered_from_a_string():
    assert find_template_from_text(SOURCES) == []


def test_sql_text_is_never_built_from_values():
    assert find_sql_built_from_strings(SOURCES + MIGRATIONS) == []


def test_the_package_never_prints():
    assert find_prints(SOURCES) == []


# Each gate must see what it is meant to refuse: a gate that finds nothing in
# bad code proves nothing about good code.
BAD_PYTHON = {
    "sql": [
        'db.session.execute(text(f"SELECT * FROM users WHERE id = {uid}"))',
        "conn.exec_driver_sql(\"DELETE FROM t WHERE name = '%s'\" % name)",
        'op.execute("DROP TABLE {}".format(table))',
        'cursor.execute("SELECT " + column + " FROM users")',
    ],
    "markup": ["Markup(ticket.subject)", "Markup(f'<b>{name}</b>')"],
    "template": [
        "render_template_string(body)",
        "from flask import render_template_string",
        "app.jinja_env.from_string(text).render()",
    ],
    "print": ["print(balance)"],
    "lazy": ['_l("%(name)s (retired)", name=level.name)', "_l('%(n)s', n=count)"],
}
FINDERS = {
    "sql": find_sql_built_from_strings,
    "markup": find_markup_on_values,
    "template": find_template_from_text,
    "print": find_prints,
    "lazy": find_lazy_strings_with_values,
}
GOOD_PYTHON = {
    "sql": [
        'db.session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": 1})',
        'conn.exec_driver_sql("SELECT 1")',
        'op.execute("DROP TRIGGER ledger_entries_no_update")',
    ],
    "markup": [
        'Markup("<br>")',
        "# markup: every piece was escaped above\nMarkup(joined)",
    ],
    "template": ["render_template('page.html', body=body)"],
    "print": ["logger.info('balance %s', balance)"],
    "lazy": [
        '_l("at most %(max)s", max=MAX_LENGTH)',
        '_l("over %(limit)s", limit=format_money(cents))',
        "# markup: a count\n_l('%(n)s', n=count)",
    ],
}


@pytest.mark.parametrize(
    ("gate", "source"),
    [(gate, source) for gate, sources in BAD_PYTHON.items() for source in sources],
)
def test_each_gate_catches_what_it_refuses(tmp_path, gate, source):
    path = tmp_path / "bad.py"
    path.write_text(source + "\n")

    assert FINDERS[gate]([path]) != []


@pytest.mark.parametrize(
    ("gate", "source"),
    [(gate, source) for gate, sources in GOOD_PYTHON.items() for source in sources],
)
def test_each_gate_lets_the_safe_form_pass(tmp_path, gate, source):
    path = tmp_path / "good.py"
    path.write_text(source + "\n")

    assert FINDERS[gate]([path]) == []


@pytest.mark.parametrize(
    "line",
    [
        "{{ ticket.subject|safe }}",
        "{{ body | safe }}",
        "{% autoescape false %}{{ x }}{% endautoescape %}",
    ],
)
def test_the_template_gate_catches_escaping_switched_off(tmp_path, line):
    path = tmp_path / "page.html"
    path.write_text(line + "\n")

    assert find_unescaped_templates([path]) != []
