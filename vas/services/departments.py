"""Ticket departments (工单分类) and who works them (工单权限设置).

Exactly one department carries the business technical flag (业务技术工单):
value-added services are delivered through its tickets only. Setting the flag
on a department moves it there; it cannot simply be switched off.
"""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from vas.extensions import db
from vas.models import Department
from vas.models import Ticket
from vas.models import User
from vas.models import agent_departments
from vas.services.errors import InvalidInput
from vas.services.errors import NotFound
from vas.services.errors import VasError

logger = logging.getLogger(__name__)


class DuplicateDepartmentName(InvalidInput):
    default_message = _l("已有同名的工单分类。")


class BusinessTechnicalRequired(InvalidInput):
    default_message = _l(
        "必须保留一个业务技术工单分类：请在另一个分类上勾选，标记会转移过去。"
    )


class DepartmentInUse(VasError):
    status_code = 409
    default_message = _l("该分类下已有工单，不能删除，可以停用。")


def list_departments(*, include_inactive: bool = False) -> list[Department]:
    """Return the ticket departments in display order."""
    query = select(Department)
    if not include_inactive:
        query = query.where(Department.is_active)
    return list(
        db.session.scalars(query.order_by(Department.sort_order, Department.id))
    )


def ticket_counts() -> dict[int, int]:
    """Return how many tickets each department holds, keyed by department ID."""
    rows = db.session.execute(
        select(Ticket.department_id, func.count(Ticket.id)).group_by(
            Ticket.department_id
        )
    )
    return {department_id: count for department_id, count in rows}


def business_technical() -> Department | None:
    """Return the business technical department (业务技术工单), if any."""
    return db.session.scalars(
        select(Department).where(Department.is_business_technical)
    ).one_or_none()


def save_department(
    department: Department | None,
    *,
    name: str,
    description: str,
    is_business_technical: bool,
    is_active: bool,
    sort_order: int,
    actor: User,
) -> Department:
    """Create or update a department; the business technical flag moves here."""
    name = name.strip()
    clash = select(Department.id).where(func.lower(Department.name) == name.lower())
    if department is not None:
        clash = clash.where(Department.id != department.id)
    if db.session.scalar(clash) is not None:
        raise DuplicateDepartmentName()
    current = business_technical()
    if current is not None and current is department and not is_business_technical:
        raise BusinessTechnicalRequired()

    if department is None:
        department = Department(name=name)
        db.session.add(department)
    if is_business_technical and current is not None and current is not department:
        # The partial unique index allows one flag: clear the old one first.
        current.is_business_technical = False
        db.session.flush()
    department.name = name
    department.description = description.strip()
    department.is_business_technical = is_business_technical
    department.is_active = is_active
    department.sort_order = sort_order
    db.session.flush()

    logger.info("admin %s saved department %s", actor.id, department.id)
    return department


def delete_department(department: Department, *, actor: User) -> None:
    """Delete a department that never had a ticket."""
    if department.is_business_technical:
        raise BusinessTechnicalRequired()
    used = db.session.scalar(
        select(Ticket.id).where(Ticket.department_id == department.id).limit(1)
    )
    if used is not None:
        raise DepartmentInUse()

    db.session.delete(department)
    db.session.flush()

    logger.info("admin %s deleted department %s", actor.id, department.id)


def agents() -> list[User]:
    """Return every agent account, in ID order."""
    return list(
        db.session.scalars(select(User).where(User.role == "agent").order_by(User.id))
    )


def departments_by_agent() -> dict[int, set[int]]:
    """Return the IDs of the departments each agent works, keyed by agent ID."""
    worked: dict[int, set[int]] = {}
    for agent_id, department_id in db.session.execute(select(agent_departments)):
        worked.setdefault(agent_id, set()).add(department_id)
    return worked


def set_agent_permissions(
    agent: User,
    *,
    department_ids: set[int],
    can_push_services: bool,
    actor: User,
) -> None:
    """Set the departments an agent works and whether they may push services."""
    if not agent.is_agent:
        raise NotFound()
    known = set(db.session.scalars(select(Department.id)))
    if not department_ids <= known:
        raise InvalidInput(_l("工单分类无效。"))

    db.session.execute(
        delete(agent_departments).where(agent_departments.c.agent_id == agent.id)
    )
    if department_ids:
        db.session.execute(
            insert(agent_departments),
            [{"agent_id": agent.id, "department_id": d} for d in department_ids],
        )
    agent.can_push_services = can_push_services
    db.session.flush()

    logger.info(
        "admin %s set agent %s departments %s, push %s",
        actor.id,
        agent.id,
        sorted(department_ids),
        can_push_services,
    )
