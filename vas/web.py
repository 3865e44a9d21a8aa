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
from flask import current_app
from flask import has_request_context
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
# Lists count their matches up to here and say "more than" beyond: an exact
# count of a million rows costs more than the page itself.
COUNT_CAP = 10_000


def reads_only(view):
    """Mark a POST view that changes nothing: it posts only to send a form.

    Its transaction reads like a GET's (see ``is_reading``): on SQLite it does
    not queue for the write lock, on PostgreSQL it is READ ONLY, and it never
    commits. Put it right under the route decorator.
    """
    view.reads_only = True
    return view


def is_reading() -> bool:
    """Tell whether this request only reads: a safe method or a reads_only view.

    Outside a request (the CLI, jobs, tests' app contexts) nothing is reading.
    """
    if not has_request_context():
        return False
    if request.method in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "reads_only", False)


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
    """One page of rows plus what the pager needs.

    ``capped`` says that ``total`` is a lower bound: more rows match than
    were counted, and only the pages up to the cap can be reached.
    """

    items: list
    number: int
    per_page: int
    total: int
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(
    query: Select,
    *,
    per_page: int = 20,
    scalars: bool = True,
    count_query: Select | None = None,
    count_cap: int | None = COUNT_CAP,
) -> Page:
    """Run ``query`` for the page named by ``?page=``, counting the total once.

    :param count_query: rows to count, when cheaper than ``query`` (no joins).
    :param count_cap: count at most this many rows (None: all); the pages
        beyond it are not offered, so no request reads past the cap with a
        large OFFSET. Narrower filters reach the rows beyond.
    """
    number = max(1, request.args.get("page", 1, type=int) or 1)
    counted = (query if count_query is None else count_query).order_by(None)
    total, capped = count_rows(counted, count_cap)
    if capped:
        number = min(number, max(1, count_cap // per_page))
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    items = list(rows.scalars().unique() if scalars else rows)
    return Page(
        items=items, number=number, per_page=per_page, total=total, capped=capped
    )


def count_rows(query: Select, cap: int | None = None) -> tuple[int, bool]:
    """Count the rows of ``query``, at most ``cap`` of them.

    Return the count and whether more rows match than were counted.
    """
    if cap is not None:
        query = query.limit(cap + 1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if cap is not None and total > cap:
        return cap, True
    return total, False


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list read newest first by a unique key, and its links.

    ``after`` and ``before`` are the keys the previous and next links carry
    (None where there is no such page); ``total`` is counted as in ``Page``.
    """

    items: list
    total: int
    capped: bool
    after: int | None
    before: int | None


def paginate_matches(
    ids: list[int], load, *, per_page: int = 20, count_cap: int = COUNT_CAP
) -> KeysetPage:
    """Page a list whose matching keys were fetched first, newest first.

    For filters whose matches are few but hard to estimate (a keyword): the
    keys come from one statement (at most ``count_cap + 1``, descending),
    and only the page's rows are loaded, by key, with ``load(keys)``. The
    planner then never walks the whole table in key order hoping to meet a
    match early. ``?before=``/``?after=`` work as in ``paginate_keyset``.
    """
    capped = len(ids) > count_cap
    ids = ids[:count_cap]
    before = request.args.get("before", type=int)
    after = request.args.get("after", type=int) if before is None else None
    if after is not None:
        newer = [key for key in ids if key > after]
        chosen = newer[-per_page:]
        more_newer, more_older = len(newer) > per_page, True
    else:
        older = [key for key in ids if before is None or key < before]
        chosen = older[:per_page]
        more_newer, more_older = before is not None, len(older) > per_page
    rows = load(chosen) if chosen else []
    return KeysetPage(
        items=rows,
        total=len(ids),
        capped=capped,
        after=chosen[0] if chosen and more_newer else None,
        before=chosen[-1] if chosen and more_older else None,
    )


def paginate_keyset(
    query: Select,
    key,
    row_key,
    *,
    per_page: int = 20,
    count_query: Select,
    count_cap: int = COUNT_CAP,
) -> KeysetPage:
    """Page ``query``, ordered by ``key`` descending, with ``?before=``/``?after=``.

    Each page starts from a key rather than an OFFSET, so a page deep in a
    million rows costs what the first one does.

    :param row_key: gives the key of a fetched row.
    """
    before = request.args.get("before", type=int)
    after = request.args.get("after", type=int) if before is None else None
    if after is not None:
        ascending = query.where(key > after).order_by(None).order_by(key.asc())
        rows = list(db.session.execute(ascending.limit(per_page + 1)))
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        more_older = True
    else:
        if before is not None:
            query = query.where(key < before)
        rows = list(db.session.execute(query.limit(per_page + 1)))
        more_older = len(rows) > per_page
        rows = rows[:per_page]
        more_newer = before is not None
    total, capped = count_rows(count_query, count_cap)
    return KeysetPage(
        items=rows,
        total=total,
        capped=capped,
        after=row_key(rows[0]) if rows and more_newer else None,
        before=row_key(rows[-1]) if rows and more_older else None,
    )
