"""Enumerate the app's routes so that sweeps cover every one, new ones too."""

from werkzeug.routing import Rule

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SAMPLE_VALUES = {"integer": 1, "unicode": "sandbox", "path": "x", "default": "x"}


def sample_url(rule: Rule) -> str:
    """Build a concrete URL for a rule, with placeholder values."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        values[name] = SAMPLE_VALUES.get(kind, SAMPLE_VALUES["default"])
    return rule.build(values, append_unknown=False)[1]


def unsafe_routes(app) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every state-changing route."""
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE):
            routes.append((rule.endpoint, method, sample_url(rule)))
    return sorted(routes)


def snapshot(app) -> dict[str, object]:
    """Count every table and sum every balance, to prove nothing changed."""
    import sqlalchemy as sa

    from vas.extensions import db

    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        counts["balances"] = db.session.scalar(
            sa.text("SELECT COALESCE(SUM(balance_cents), 0) FROM users")
        )
    return counts
