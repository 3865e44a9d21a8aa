"""Mail to customers: written to the outbox with the change it tells about,
delivered afterwards by ``flask vas send-mail`` (and by ``sync``).
"""

from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from tests.conftest import Client
from vas.extensions import db
from vas.models import OutboxEmail
from vas.models import Ticket
from vas.models import User
from vas.services import pushes
from vas.services.errors import InsufficientBalance


def _outbox(app) -> list[OutboxEmail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _push(app, vd, pay_price):
    from tests import factories

    with app.app_context():
        made = factories.push(
            agent_id=vd.desk.agent.id,
            ticket_id=vd.ticket,
            item_ids=[vd.paid_item],
            pay_price=pay_price,
        )
        db.session.commit()
        return made.id


def test_a_push_and_its_payment_each_write_one_mail(app, vas_desk):
    push_id = _push(app, vas_desk, "12.50")
    client = Client(app)
    client.login(vas_desk.desk.customer_a.email)

    client.post(f"/tickets/{vas_desk.ticket}/pushes/{push_id}/payment")

    arrived, taken = _outbox(app)
    assert arrived.to_address == taken.to_address == vas_desk.desk.customer_a.email
    assert f"工单 #{vas_desk.ticket}" in arrived.subject and "¥12.50" in arrived.body
    assert taken.subject == "已从余额扣款 ¥12.50"
    assert arrived.sent_at is None and taken.sent_at is None


def test_a_refused_payment_leaves_no_mail(app, vas_desk):
    push_id = _push(app, vas_desk, "500.00")  # more than the ¥88.00 balance

    with app.app_context():
        with pytest.raises(InsufficientBalance):
            pushes.pay(
                db.session.get(User, vas_desk.desk.customer_a.id),
                db.session.get(Ticket, vas_desk.ticket),
                push_id,
            )
        db.session.rollback()

    assert [mail.subject for mail in _outbox(app)] == [
        f"工单 #{vas_desk.ticket}：客服为您推送了付费服务"
    ]


def test_send_mail_writes_eml_files_to_the_mail_folder_once(app, vas_desk, tmp_path):
    _push(app, vas_desk, "12.50")
    app.config["VAS_MAIL_FOLDER"] = str(tmp_path)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["vas", "send-mail"])
    again = runner.invoke(args=["vas", "send-mail"])

    assert first.exit_code == 0, first.output
    assert "Sent 1 mail(s), 0 failed." in first.output
    assert "Sent 0 mail(s)" in again.output
    (eml,) = tmp_path.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert message["To"] == vas_desk.desk.customer_a.email
    assert "推送了付费服务" in message["Subject"]
    assert "¥12.50" in message.get_content()
    (mail,) = _outbox(app)
    assert mail.sent_at is not None and mail.attempts == 1


def test_an_unreachable_smtp_server_is_recorded_and_retried(app, vas_desk):
    _push(app, vas_desk, "12.50")
    app.config.update(VAS_SMTP_HOST="127.0.0.1", VAS_SMTP_PORT=9)  # nothing listens

    result = app.test_cli_runner().invoke(args=["vas", "send-mail"])

    assert result.exit_code == 0, result.output
    assert "Sent 0 mail(s), 1 failed." in result.output
    (mail,) = _outbox(app)
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error


def test_sync_delivers_the_outbox_too(app, vas_desk, tmp_path):
    _push(app, vas_desk, "12.50")
    app.config["VAS_MAIL_FOLDER"] = str(tmp_path)

    result = app.test_cli_runner().invoke(args=["vas", "sync"])

    assert result.exit_code == 0, result.output
    assert "sent 1 mail(s), 0 failed." in result.output
    assert len(list(tmp_path.glob("*.eml"))) == 1
