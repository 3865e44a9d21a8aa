"""Refusals a person may see: each carries an HTTP status and a safe message."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from vas.money import format_money


class VasError(Exception):
    """A refusal whose ``message`` is safe to show to the person who asked."""

    status_code = 400
    default_message = _l("请求无法完成。")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class NotFound(VasError):
    status_code = 404
    default_message = _l("没有找到该内容。")


class Forbidden(VasError):
    status_code = 403
    default_message = _l("您没有权限执行此操作。")


class InvalidInput(VasError):
    status_code = 422
    default_message = _l("提交的内容有误。")


class InsufficientBalance(VasError):
    """The balance does not cover a charge; the message names the shortfall."""

    status_code = 402

    def __init__(self, needed: Decimal, balance: Decimal):
        self.needed = needed
        self.balance = balance
        self.shortfall = needed - balance
        super().__init__(
            _l(
                "余额不足：需要 %(needed)s，当前余额 %(balance)s，还差 %(shortfall)s。",
                needed=format_money(needed),
                balance=format_money(balance),
                shortfall=format_money(self.shortfall),
            )
        )


class AlreadyRefunded(VasError):
    status_code = 409
    default_message = _l("该笔款项已经退款，不能重复退款。")


class BadSignature(VasError):
    status_code = 400
    default_message = _l("支付通知签名无效。")


class PaymentMismatch(VasError):
    status_code = 409
    default_message = _l("支付通知与订单不符。")
