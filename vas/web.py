"""Request helpers shared by every blueprint: htmx, access, loading, paging.

Floor 0 of the house: no blueprint or service is imported here.
"""

import functools
import math
import secrets
from dataclasses import dataclass
from urllib.parse import unquote
from urllib.parse import urlsplit

from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_htmx() -> bool:
    """Tell whether this request wants a fragment rather than a whole page.

    A history restore asks for the whole page even though htmx sends it.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, fragment: str | None = None, /, *, code: int = 200, **context):
    """Render the page, or only its fragment when htmx asked for one.

    The page template includes the same fragment, so both share one source.
    """
    template = fragment if fragment and is_htmx() else page
    headers = {"Vary": "HX-Request"} if fragment else {}
    return render_template(template, **context), code, headers


def see_other(endpoint: str, **values):
    """Answer a form that navigates: 303 for browsers, HX-Redirect for htmx."""
    url = url_for(endpoint, **values)
    if is_htmx():
        return "", 200, {"HX-Redirect": url}
    return redirect(url, code=303)


def role_required(*roles: str):
    """Let a signed-in account with one of ``roles`` in; others get 403.

    Anonymous visitors are sent to the login page with ``next`` set. An htmx
    request (a session that expired on an open page) gets 401 with
    ``HX-Redirect``, so the whole page goes to the login rather than the
    login page being swapped into a fragment; ``next`` is then the page.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def _to_login():
    if not is_htmx():
        return redirect(url_for("auth.login", next=request.full_path))
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    page = current.path + (f"?{current.query}" if current.query else "")
    back = page if is_safe_next(page) else request.full_path
    return "", 401, {"HX-Redirect": url_for("auth.login", next=back)}


def get_or_404(model, ident: int, **owner):
    """Load a row by id, or 404; ``owner`` columns must match too.

    ``get_or_404(Server, 7, customer_id=current_user.id)`` answers 404, not
    403, for another customer's server: it does not confirm the id exists.
    """
    row = db.session.get(model, ident)
    if row is None or any(getattr(row, k) != v for k, v in owner.items()):
        abort(404)
    return row


def new_intent() -> str:
    """Return a fresh one-time token that names one form submission."""
    return secrets.token_hex(16)


def is_safe_next(target: str | None) -> bool:
    """Tell whether a ``next`` value is a plain path on this site.

    The value is checked as given and once percent-decoded, so an encoded
    ``//`` or line break cannot slip through to a browser that decodes it.
    """
    if not target or len(target) > 2000:
        return False
    return all(_is_plain_path(form) for form in (target, unquote(target)))


def _is_plain_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if any(ch in target for ch in "\\\r\n\t\x00"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@dataclass(frozen=True)
class Page:
    """One page of rows plus what the pager needs."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(query: Select, *, per_page: int = 20, scalars: bool = True) -> Page:
    """Run ``query`` for the page named by ``?page=``, counting the total once."""
    number = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    )
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    items = list(rows.scalars().unique() if scalars else rows)
    return Page(items=items, number=number, per_page=per_page, total=total)
