"""Views of the agent workspace; agents and admins may enter."""

from vas.agent import bp
from vas.services import reports
from vas.services import tickets
from vas.web import render
from vas.web import role_required


@bp.before_request
@role_required("agent", "admin")
def require_staff():
    """Keep the workspace for staff."""


@bp.get("/")
def dashboard():
    """Show the agent's workspace: open tickets by department and status."""
    return render(
        "agent/dashboard.html",
        counts=reports.ticket_counts(),
        departments=tickets.list_departments(),
        statuses=tickets.OPEN_STATUSES,
    )
