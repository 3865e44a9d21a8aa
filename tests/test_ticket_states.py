"""Ticket states: the written transition table, its refusals, and auto-close."""

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from vas.extensions import db
from vas.models import AuditEntry
from vas.models import Setting
from vas.models import Ticket
from vas.models import TicketMessage
from vas.models import User
from vas.services import settings
from vas.services import tickets
from vas.services.tickets import TRANSITIONS
from vas.services.tickets import TicketAlreadyAnswered
from vas.services.tickets import TicketAlreadyClosed
from vas.services.tickets import TicketClosed
from vas.services.tickets import TicketNotAnswered
from vas.services.tickets import TicketNotClosed

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)

# The table, written out again: (status, event) → status or refusal.
# fmt: off
EXPECTED = [
    ("open",           "customer_reply", "open"),
    ("open",           "staff_reply",    "answered"),
    ("open",           "private_note",   "open"),
    ("open",           "mark_answered",  "answered"),
    ("open",           "close",          "closed"),
    ("open",           "reopen",         TicketNotClosed),
    ("open",           "auto_close",     TicketNotAnswered),
    ("answered",       "customer_reply", "customer_reply"),
    ("answered",       "staff_reply",    "answered"),
    ("answered",       "private_note",   "answered"),
    ("answered",       "mark_answered",  TicketAlreadyAnswered),
    ("answered",       "close",          "closed"),
    ("answered",       "reopen",         TicketNotClosed),
    ("answered",       "auto_close",     "closed"),
    ("customer_reply", "customer_reply", "customer_reply"),
    ("customer_reply", "staff_reply",    "answered"),
    ("customer_reply", "private_note",   "customer_reply"),
    ("customer_reply", "mark_answered",  "answered"),
    ("customer_reply", "close",          "closed"),
    ("customer_reply", "reopen",         TicketNotClosed),
    ("customer_reply", "auto_close",     TicketNotAnswered),
    ("closed",         "customer_reply", "customer_reply"),
    ("closed",         "staff_reply",    TicketClosed),
    ("closed",         "private_note",   "closed"),
    ("closed",         "mark_answered",  TicketClosed),
    ("closed",         "close",          TicketAlreadyClosed),
    ("closed",         "reopen",         "open"),
    ("closed",         "auto_close",     TicketNotAnswered),
]
# fmt: on


@pytest.mark.parametrize(("status", "event", "outcome"), EXPECTED)
def test_transition_table_cell(status, event, outcome):
    if isinstance(outcome, str):
        assert tickets.next_status(status, event) == outcome
    else:
        with pytest.raises(outcome) as refused:
            tickets.next_status(status, event)
        assert refused.value.status_code == 409
        assert str(refused.value.message)  # a clear message for the person


def test_table_has_every_status_and_event_exactly_once():
    statuses = {"open", "answered", "customer_reply", "closed"}

    assert set(TRANSITIONS) == {(s, e) for s, e, _ in EXPECTED}
    assert {s for s, _ in TRANSITIONS} == statuses
    assert len(TRANSITIONS) == len(statuses) * len(tickets.EVENTS)


def _load(app, ticket_id):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        bodies = [
            (m.author_kind, m.body, m.is_private)
            for m in db.session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket_id)
                .order_by(TicketMessage.id)
            )
        ]
        return ticket.status, ticket.waiting_since, ticket.last_message_at, bodies


def test_new_ticket_is_open_and_waiting_since_its_first_message(app, desk):
    status, waiting, last, messages = _load(app, desk.ticket.id)

    assert status == "open"
    assert waiting == last
    assert messages == [("customer", "It answers 502.", False)]


def test_staff_reply_answers_and_stops_the_wait(app, desk, make_reply):
    make_reply(ticket_id=desk.ticket.id, author_id=desk.agent.id, body="On it", now=NOW)

    status, waiting, last, _ = _load(app, desk.ticket.id)
    assert (status, waiting, last) == ("answered", None, NOW)


def test_private_note_changes_neither_status_nor_visible_activity(
    app, desk, make_reply
):
    before = _load(app, desk.ticket.id)

    make_reply(
        ticket_id=desk.ticket.id,
        author_id=desk.agent.id,
        body="note",
        private=True,
        now=NOW,
    )

    status, waiting, last, messages = _load(app, desk.ticket.id)
    assert (status, waiting, last) == before[:3]
    assert messages[-1] == ("agent", "note", True)


def test_customer_reply_to_a_closed_ticket_reopens_it(
    app, desk, make_reply, close_ticket
):
    close_ticket(ticket_id=desk.ticket.id, actor_id=desk.customer_a.id, now=NOW)
    later = NOW + timedelta(hours=1)

    make_reply(
        ticket_id=desk.ticket.id, author_id=desk.customer_a.id, body="again", now=later
    )

    status, waiting, last, messages = _load(app, desk.ticket.id)
    assert (status, waiting, last) == ("customer_reply", later, later)
    assert [kind for kind, _, _ in messages] == ["customer", "system", "customer"]


def test_further_customer_replies_keep_the_first_waiting_time(app, desk, make_reply):
    _, first_wait, _, _ = _load(app, desk.ticket.id)

    make_reply(ticket_id=desk.ticket.id, author_id=desk.customer_a.id, body="more")

    assert _load(app, desk.ticket.id)[1] == first_wait


def _answered_at(app, desk, make_reply, make_ticket, when, *, department=None):
    made = make_ticket(
        customer_id=desk.customer_a.id,
        department_id=department or desk.finance.id,
        now=when - timedelta(minutes=5),
    )
    make_reply(ticket_id=made.id, author_id=desk.agent.id, body="answer", now=when)
    return made.id


def _auto_close(app, now):
    with app.app_context():
        closed = tickets.auto_close_answered(now)
        db.session.commit()
        return closed


def test_auto_close_closes_answered_tickets_quiet_for_the_set_days(
    app, desk, make_reply, make_ticket
):
    old = _answered_at(app, desk, make_reply, make_ticket, NOW - timedelta(days=8))
    fresh = _answered_at(app, desk, make_reply, make_ticket, NOW - timedelta(days=6))
    waiting = desk.ticket.id  # open: the customer waits for us, never auto-closed

    closed = _auto_close(app, NOW)

    assert closed == [old]
    assert _load(app, old)[0] == "closed"
    assert _load(app, old)[3][-1] == (
        "system",
        "工单在 7 天内没有客户回复，已自动关闭。",
        False,
    )
    assert _load(app, fresh)[0] == "answered"
    assert _load(app, waiting)[0] == "open"
    assert _auto_close(app, NOW) == []  # a second run finds nothing left


def test_auto_close_follows_the_setting_and_zero_means_never(
    app, desk, make_reply, make_ticket
):
    quiet = _answered_at(app, desk, make_reply, make_ticket, NOW - timedelta(days=3))
    with app.app_context():
        settings.put("tickets.auto_close_days", 0, actor=None)
        db.session.commit()

    assert _auto_close(app, NOW) == []

    with app.app_context():
        settings.put("tickets.auto_close_days", 2, actor=None)
        db.session.commit()
    assert _auto_close(app, NOW) == [quiet]


def test_two_sync_runs_at_once_close_each_ticket_once(
    app, app_factory, desk, make_reply, make_ticket
):
    quiet = [
        _answered_at(app, desk, make_reply, make_ticket, NOW - timedelta(days=9))
        for _ in range(6)
    ]
    workers = [app_factory(), app_factory()]
    barrier = threading.Barrier(len(workers))
    results, errors = [], []

    def run(worker):
        try:
            with worker.app_context():
                barrier.wait()
                results.append(tickets.auto_close_answered(NOW))
                db.session.commit()
        except Exception as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(ticket_id for run in results for ticket_id in run) == quiet
    with app.app_context():
        system_messages = db.session.scalar(
            select(func.count(TicketMessage.id)).where(
                TicketMessage.ticket_id.in_(quiet),
                TicketMessage.author_kind == "system",
            )
        )
    assert system_messages == len(quiet)


def test_sync_command_closes_and_commits(app, desk, make_reply, make_ticket):
    quiet = _answered_at(
        app,
        desk,
        make_reply,
        make_ticket,
        datetime.now(UTC) - timedelta(days=30),
    )

    result = app.test_cli_runner().invoke(args=["vas", "sync"])

    assert result.exit_code == 0, result.output
    assert "auto-closed 1 answered ticket(s);" in result.output
    assert _load(app, quiet)[0] == "closed"


def test_save_settings_audits_a_change_and_only_a_change(app, desk):
    with app.app_context():
        admin = db.session.get(User, desk.admin.id)
        tickets.save_settings(auto_close_days=7, actor=admin)  # the default
        tickets.save_settings(auto_close_days=3, actor=admin)
        db.session.commit()
        entries = db.session.scalars(select(AuditEntry)).all()
        stored = db.session.get(Setting, "tickets.auto_close_days")

        assert [(e.action, e.subject_id, e.before, e.after) for e in entries] == [
            ("setting.update", "tickets.auto_close_days", "7", "3")
        ]
        assert stored.value == "3"
