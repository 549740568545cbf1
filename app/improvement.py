"""Recurring problems, systemic issues and improvement actions.

/improvement shows what rises over a period and the complaints that look alike, each cluster
with its weekly trend; managers mark a cluster systemic and open improvement actions from a
cluster, an issue or a complaint. Quality analysts and senior management read; an action's
owner updates its status and outcome; other staff get a 403 page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import department_text
from forms import lists as choice_lists
from forms.choices import label
from forms.improvement import (
    ACTION_STATUSES,
    CLUSTER_KINDS,
    ISSUE_STATUSES,
    ActionFilterForm,
    ActionForm,
    ActionPlanForm,
    ActionUpdateForm,
    IssueStatusForm,
    LinkComplaintsForm,
    PeriodForm,
    SystemicIssueForm,
    references,
)
from forms.numbers import whole_number
from services import complaints, improvement, permissions, recurring
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import AuditEvent, ImprovementAction, SystemicIssue

bp = Blueprint("improvement", __name__, url_prefix="/improvement")


@bp.before_request
@login_required
def signed_in() -> None:
    """Staff only; each view checks who may read or change what."""


def _require_reads() -> None:
    if not improvement.reads_improvement(current_user):
        raise NotAllowed(_("Your role does not give access to recurring problems and actions."))


def _require_manages() -> None:
    if not improvement.manages_improvement(current_user):
        raise NotAllowed(_("Only managers open and change systemic issues and actions."))


@bp.app_template_global()
def cluster_label(cluster: recurring.Cluster) -> str:
    """A cluster's value in words: a category's or a root cause's label, else as recorded."""
    if cluster.kind == "category":
        return str(choice_lists.filterable().label("categories", cluster.key))
    if cluster.kind == "root_cause":
        return str(choice_lists.filterable().label("root_causes", cluster.key))
    if cluster.kind == "department":
        return department_text.name_of(cluster.key) or cluster.label
    return cluster.label


def _period_args(form: PeriodForm) -> dict[str, str]:
    """The period as query arguments (empty: the default period)."""
    return {
        name: form[name].data.isoformat()
        for name in ("start", "end")
        if not form[name].errors and isinstance(form[name].data, date)
    }


def _period_dates(args: dict[str, str]) -> tuple[date | None, date | None]:
    start, end = args.get("start"), args.get("end")
    try:
        return (
            date.fromisoformat(start) if start else None,
            date.fromisoformat(end) if end else None,
        )
    except ValueError:
        raise NotFound(_("No such period.")) from None


def _page_context() -> dict[str, Any]:
    return {
        "label": label,
        "kinds": CLUSTER_KINDS,
        "issue_statuses": ISSUE_STATUSES,
        "action_statuses": ACTION_STATUSES,
        "is_manager": improvement.manages_improvement(current_user),
        "is_overdue": improvement.is_overdue,
        "today": improvement.today(),
    }


@bp.get("")
def index() -> Any:
    """Recurring problems of the period, the systemic issues and the actions."""
    _require_reads()
    form = PeriodForm(request.args)
    status = 200 if form.validate() else 422
    args = _period_args(form) if status == 200 else {}
    try:
        found = recurring.recurring(current_user, *_period_dates(args))
    except InvalidInput:
        form.end.errors = [_("Choose a period of two years at most, between 1900 and 2999.")]
        status, args = 422, {}
        found = recurring.recurring(current_user)
    return render_template(
        "improvement/index.html",
        form=form,
        found=found,
        period_args=args,
        issues=improvement.systemic_issues(current_user, status="active"),
        summary=improvement.summary(current_user),
        **_page_context(),
    ), status


# ---------------------------------------------------------------------------------------------
# Clusters and systemic issues
# ---------------------------------------------------------------------------------------------


def _cluster_from(args: Any) -> tuple[recurring.Cluster, dict[str, str]]:
    """The cluster named by kind, key, start and end (query or form), or NotFound."""
    period = {name: args.get(name, "") for name in ("start", "end") if args.get(name)}
    try:
        found = recurring.cluster(
            current_user, args.get("kind", ""), args.get("key", ""), *_period_dates(period)
        )
    except InvalidInput:
        raise NotFound(_("No such period.")) from None
    except NotFound:
        raise NotFound(_("This cluster is not found in the period.")) from None
    return found, period


def _render_cluster(found: recurring.Cluster, period: dict[str, str], form: Any) -> Any:
    return render_template(
        "improvement/cluster.html",
        cluster=found,
        period_args=period,
        form=form,
        **_page_context(),
    )


@bp.get("/clusters/<kind>/<key>")
def cluster(kind: str, key: str) -> Any:
    """One cluster: its counts, trend and complaints; managers mark it systemic here."""
    _require_reads()
    found, period = _cluster_from({**request.args.to_dict(), "kind": kind, "key": key})
    form = SystemicIssueForm(
        data={"title": cluster_label(found), "kind": kind, "key": key, **period}
    )
    return _render_cluster(found, period, form)


@bp.post("/issues")
def issue_create() -> Any:
    """Mark a cluster as a systemic issue, linking the complaints it lists."""
    _require_manages()
    form = SystemicIssueForm(request.form)
    found, period = _cluster_from(request.form)
    if not form.validate():
        return _render_cluster(found, period, form), 422
    issue = improvement.open_issue(
        current_user,
        title=form.title.data,
        description=form.description.data or "",
        cluster_kind=found.kind,
        cluster_key=found.key,
        complaint_ids=[c.id for c in found.complaints],
    )
    db.session.commit()
    flash(_("Systemic issue #%(id)d is open.", id=issue.id))
    return redirect(url_for("improvement.issue_show", issue_id=issue.id))


def _render_issue(issue: SystemicIssue, **forms: Any) -> Any:
    forms.setdefault("status_form", IssueStatusForm(data={"status": issue.status}))
    forms.setdefault("link_form", LinkComplaintsForm())
    return render_template(
        "improvement/issue.html",
        issue=issue,
        links=improvement.visible_links(current_user, issue.complaints),
        actions=improvement.actions(
            current_user, improvement.ActionFilter(systemic_issue_id=issue.id)
        ),
        events=improvement.history("systemic_issue", "issue_id", issue.id),
        **forms,
        **_page_context(),
    )


def _issue(issue_id: int) -> SystemicIssue:
    _require_reads()
    try:
        return improvement.get_issue(current_user, issue_id)
    except NotFound:
        raise NotFound(_("No such systemic issue.")) from None


@bp.get("/issues/<int:issue_id>")
def issue_show(issue_id: int) -> Any:
    """A systemic issue: its complaints, status, actions and history."""
    return _render_issue(_issue(issue_id))


@bp.post("/issues/<int:issue_id>/status")
def issue_status(issue_id: int) -> Any:
    """Move the issue to open, monitoring or closed."""
    _require_manages()
    issue = _issue(issue_id)
    form = IssueStatusForm(request.form)
    if not form.validate():
        return _render_issue(issue, status_form=form), 422
    improvement.set_issue_status(current_user, issue.id, form.status.data)
    db.session.commit()
    flash(_("The issue's status is now “%(status)s”.", status=label(ISSUE_STATUSES, issue.status)))
    return redirect(url_for("improvement.issue_show", issue_id=issue.id))


@bp.post("/issues/<int:issue_id>/complaints")
def issue_link(issue_id: int) -> Any:
    """Link more complaints to the issue by reference."""
    _require_manages()
    issue = _issue(issue_id)
    form = LinkComplaintsForm(request.form)
    if form.validate():
        try:
            added = improvement.link_issue_complaints(
                current_user, issue.id, references(form.references.data)
            )
        except InvalidInput as exc:
            db.session.rollback()
            form.references.errors = [_unknown_references(exc)]
        else:
            db.session.commit()
            flash(_("%(count)d complaint(s) linked.", count=len(added)))
            return redirect(url_for("improvement.issue_show", issue_id=issue.id))
    return _render_issue(_issue(issue_id), link_form=form), 422


def _unknown_references(exc: InvalidInput) -> str:
    unknown = exc.details.get("references")
    if isinstance(unknown, list) and unknown and unknown != ["required"]:
        return _("No complaint you may see has the reference %(refs)s.", refs=", ".join(unknown))
    return _("Give at least one complaint reference.")


# ---------------------------------------------------------------------------------------------
# Improvement actions
# ---------------------------------------------------------------------------------------------


def _owners() -> list[tuple[int, str]]:
    return [(user.id, user.name) for user in improvement.staff()]


@bp.get("/actions")
def actions_index() -> Any:
    """Actions by status, owner and overdue; an owner without a report role sees theirs."""
    if not improvement.reads_improvement(current_user) and not improvement.owns_actions(
        current_user
    ):
        _require_reads()
    filters = ActionFilterForm(request.args)
    filters.set_owners(_owners())
    status = 200 if filters.validate() else 422
    values = filters.values()
    owner = values.get("owner")
    flt = improvement.ActionFilter(
        status=values.get("status"),
        owner_id=int(owner) if owner else None,
        overdue=bool(values.get("overdue")),
    )
    return render_template(
        "improvement/actions.html",
        filters=filters,
        actions=improvement.actions(current_user, flt),
        **_page_context(),
    ), status


def _id(text: str) -> int:
    """An id from a query or form value; anything a database id cannot be is not found."""
    number = whole_number(text, 1)
    if number is None:
        raise NotFound("No such id.")  # the callers say what was not found
    return number


def _source(args: Any) -> dict[str, Any]:
    """What a new action comes from: a cluster, an issue or a complaint, with its complaints."""
    if args.get("issue"):
        try:
            issue = improvement.get_issue(current_user, _id(args["issue"]))
        except NotFound:
            raise NotFound(_("No such systemic issue.")) from None
        links = improvement.visible_links(current_user, issue.complaints)
        return {"issue": issue, "refs": [c.reference for c in links.visible]}
    if args.get("complaint"):
        try:
            complaint = complaints.get_for(current_user, _id(args["complaint"]))
        except NotFound:
            raise NotFound(_("No such complaint.")) from None
        return {"complaint": complaint, "refs": [complaint.reference]}
    if args.get("kind"):
        found, period = _cluster_from(args)
        return {"cluster": found, "period": period, "refs": [c.reference for c in found.complaints]}
    return {"refs": []}


def _render_new_action(form: ActionForm, source: dict[str, Any]) -> Any:
    return render_template(
        "improvement/action_new.html", form=form, source=source, **_page_context()
    )


@bp.get("/actions/new")
def action_new() -> Any:
    """The form to open an action, filled from its cluster, issue or complaint."""
    _require_manages()
    source = _source(request.args)
    hidden = {
        name: request.args.get(name, "")
        for name in ("kind", "key", "start", "end", "issue", "complaint")
    }
    title = ""
    if "cluster" in source:
        title = cluster_label(source["cluster"])
    elif "issue" in source:
        title = source["issue"].title
    form = ActionForm(data={"title": title, "references": " ".join(source["refs"]), **hidden})
    form.set_owners(_owners())
    return _render_new_action(form, source)


@bp.post("/actions/new")
def action_create() -> Any:
    """Open the action with its owner, due date and linked complaints."""
    _require_manages()
    source = _source(request.form)
    form = ActionForm(request.form)
    form.set_owners(_owners())
    if not form.validate():
        return _render_new_action(form, source), 422
    try:
        linked = (
            improvement.complaints_by_reference(current_user, references(form.references.data))
            if references(form.references.data)
            else []
        )
    except InvalidInput as exc:
        form.references.errors = [_unknown_references(exc)]
        return _render_new_action(form, source), 422
    issue = source.get("issue")
    action = improvement.open_action(
        current_user,
        title=form.title.data,
        description=form.description.data or "",
        owner_id=int(form.owner.data),
        due_date=form.due_date.data,
        complaint_ids=[c.id for c in linked],
        systemic_issue_id=issue.id if issue is not None else None,
    )
    db.session.commit()
    flash(_("Improvement action #%(id)d is open.", id=action.id))
    return redirect(url_for("improvement.action_show", action_id=action.id))


def _action(action_id: int) -> ImprovementAction:
    try:
        return improvement.get_action(current_user, action_id)
    except NotAllowed:
        raise NotAllowed(_("Your role does not give access to improvement actions.")) from None
    except NotFound:
        raise NotFound(_("No such improvement action.")) from None


def _render_action(action: ImprovementAction, **forms: Any) -> Any:
    forms.setdefault(
        "update_form", ActionUpdateForm(data={"status": action.status, "outcome": action.outcome})
    )
    plan_form = forms.setdefault(
        "plan_form",
        ActionPlanForm(data={"owner": str(action.owner_id or ""), "due_date": action.due_date}),
    )
    plan_form.set_owners(_owners())
    forms.setdefault("link_form", LinkComplaintsForm())
    return render_template(
        "improvement/action.html",
        action=action,
        links=improvement.visible_links(current_user, action.complaints),
        may_update=improvement.can_update_action(current_user, action),
        events=improvement.history("improvement_action", "action_id", action.id),
        **forms,
        **_page_context(),
    )


@bp.get("/actions/<int:action_id>")
def action_show(action_id: int) -> Any:
    """An action: what, who, by when, its status and outcome, complaints and history."""
    return _render_action(_action(action_id))


@bp.post("/actions/<int:action_id>")
def action_update(action_id: int) -> Any:
    """The owner or a manager records progress: status and outcome."""
    action = _action(action_id)
    if not improvement.can_update_action(current_user, action):
        raise NotAllowed(_("Only the action's owner or a manager updates it."))
    form = ActionUpdateForm(request.form)
    if not form.validate():
        return _render_action(action, update_form=form), 422
    improvement.update_action(
        current_user, action.id, status=form.status.data, outcome=form.outcome.data or ""
    )
    db.session.commit()
    flash(_("The action is updated."))
    return redirect(url_for("improvement.action_show", action_id=action.id))


@bp.post("/actions/<int:action_id>/plan")
def action_plan(action_id: int) -> Any:
    """A manager changes the owner or the due date."""
    _require_manages()
    action = _action(action_id)
    form = ActionPlanForm(request.form)
    form.set_owners(_owners())
    if not form.validate():
        return _render_action(action, plan_form=form), 422
    improvement.update_action(
        current_user,
        action.id,
        status=action.status,
        outcome=action.outcome,
        owner_id=int(form.owner.data),
        due_date=form.due_date.data,
    )
    db.session.commit()
    flash(_("The action is updated."))
    return redirect(url_for("improvement.action_show", action_id=action.id))


@bp.post("/actions/<int:action_id>/complaints")
def action_link(action_id: int) -> Any:
    """Link more complaints to the action by reference."""
    _require_manages()
    action = _action(action_id)
    form = LinkComplaintsForm(request.form)
    if form.validate():
        try:
            improvement.link_action_complaints(
                current_user, action.id, references(form.references.data)
            )
        except InvalidInput as exc:
            db.session.rollback()
            form.references.errors = [_unknown_references(exc)]
        else:
            db.session.commit()
            flash(_("The complaints are linked."))
            return redirect(url_for("improvement.action_show", action_id=action.id))
    return _render_action(_action(action_id), link_form=form), 422


def complaint_panel(complaint_id: int) -> dict[str, Any]:
    """The issues and actions a complaint feeds, for its page (report readers only)."""
    if not improvement.reads_improvement(current_user):
        return {"improvement_visible": False}
    return {
        "improvement_visible": True,
        "improvement_issues": improvement.systemic_issues(current_user, complaint_id=complaint_id),
        "improvement_actions": improvement.actions(
            current_user, improvement.ActionFilter(complaint_id=complaint_id)
        ),
        "improvement_manager": improvement.manages_improvement(current_user),
    }


@bp.app_template_global()
def improvement_for(complaint_id: int) -> dict[str, Any]:
    """The complaint page's panel of issues and actions (called from its template)."""
    return complaint_panel(complaint_id)


@bp.app_template_global()
def permissions_note() -> str:
    """What the reader sees of confidential complaints (shown under the titles)."""
    if permissions.sees_confidential(current_user):
        return _("Confidential complaints are counted and listed: you see them.")
    return _(
        "Confidential complaints are neither counted nor listed here: only people cleared for "
        "them see them."
    )


@bp.app_template_global()
def improvement_readable() -> bool:
    """True when the signed-in user reads recurring problems, issues and actions."""
    return improvement.reads_improvement(current_user)


@bp.app_template_global()
def event_words(event: AuditEvent) -> str:
    """An issue's or an action's recorded event in words."""
    data = event.data or {}
    refs = ", ".join(data.get("complaints") or [])
    if event.kind == "systemic_issue_opened":
        return _("Issue opened: %(title)s", title=data.get("title", "")) + (
            " · " + _("complaints %(refs)s", refs=refs) if refs else ""
        )
    if event.kind == "systemic_issue_status":
        return _(
            "Status: %(before)s → %(after)s",
            before=label(ISSUE_STATUSES, data.get("from")),
            after=label(ISSUE_STATUSES, data.get("to")),
        )
    if event.kind in ("systemic_issue_linked", "improvement_action_linked"):
        return _("Complaints linked: %(refs)s", refs=refs)
    if event.kind == "improvement_action_opened":
        return _(
            "Action opened for %(owner)s, due %(date)s",
            owner=data.get("owner", ""),
            date=data.get("due_date", ""),
        ) + (" · " + _("complaints %(refs)s", refs=refs) if refs else "")
    if event.kind == "improvement_action_updated":
        parts = []
        if "status" in data:
            before, after = data["status"]
            parts.append(
                _(
                    "Status: %(before)s → %(after)s",
                    before=label(ACTION_STATUSES, before),
                    after=label(ACTION_STATUSES, after),
                )
            )
        if "outcome" in data:
            parts.append(_("Outcome written"))
        if "owner" in data:
            parts.append(_("Owner: %(name)s", name=data["owner"][1]))
        if "due_date" in data:
            parts.append(_("Due date: %(date)s", date=data["due_date"][1]))
        return " · ".join(parts) or _("Updated")
    return event.summary
