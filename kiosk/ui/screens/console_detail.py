"""What the console's detail pane says about one visit, line by line, in the language on
screen (phone and ID numbers masked, the privacy notice accepted named by its version): the other uses of a shared invitation first (reception must go and look), then who and
for whom, when (and any other device's sign-out of a visit signed out twice), the visitor type and its answers (a contractor's permit, work area, tools: what
whoever approves needs), why the entry policy asked or stopped, complaints, messages and how
the host was told."""

from __future__ import annotations

from kiosk.core import policy as rules
from kiosk.core.masking import mask_text
from kiosk.core.tokens import badge_number
from kiosk.ui.i18n import N_, tr
from kiosk.ui.screens.visitor_type import in_language
from kiosk.ui.verdicts import clock_text

# Why the entry policy asked about or stopped a visitor (kiosk.core.policy's reason codes).
REASONS = {rules.WATCHLIST_BLOCK: N_("On the watchlist: not to be let in"),
           rules.WATCHLIST_APPROVE: N_("On the watchlist: needs approval"),
           rules.WATCHLIST_NEAR: N_("Name close to one on the watchlist"),
           rules.TYPE_NEEDS_APPROVAL: N_("This visitor type needs approval"),
           rules.AFTER_HOURS: N_("Outside opening hours"), rules.CLOSED_DAY: N_("The site is closed today"),
           rules.UNKNOWN_TYPE: N_("Unknown visitor type")}
YES_NO = {"yes": N_("Yes"), "no": N_("No")}


def shared_invitation(visit) -> list[str]:
    """Which use of an invitation used more than once this visit is, and who the others are
    (by name, badge number, time and kiosk: with one invitation, they share the name)."""
    if not visit.invitation_shared_with:
        return []
    lines = [tr("This is use {n} of the invitation").format(n=visit.invitation_use) if visit.invitation_use else ""]
    for other in visit.invitation_shared_with:
        if not other["name"]:
            lines.append(tr("Also used: visit {visit}, not yet synced here").format(visit=other["visit_id"]))
            continue
        badge = badge_number(other["badge_id"]) if other["badge_id"] else "-"
        lines.append(tr("Also used by {name}: badge {badge}, {time} at {device}").format(
            name=other["name"], badge=badge, time=clock_text(other["signed_in_at"] or 0), device=other["device"]))
    return lines


def signed_out_twice(visit) -> list[str]:
    """The other devices' sign-outs of a visit signed out twice (kiosk.core.visits: the first
    in causal order is kept): reception checks which is right."""
    return [tr("Signed out twice: also at {device}, {time}: check which is right").format(
        device=other["device"], time=clock_text(other["at"])) for other in visit.other_sign_outs]


def answer_lines(visit, policy) -> list[str]:
    """The visitor type, then each answer as "question: answer", in the policy's order and words
    (a yes/no and a choice in the language on screen); answers to questions the policy no
    longer asks are still shown, under their key."""
    kind = policy.visitor_type(visit.visitor_type) if visit.visitor_type else None
    lines = [tr("Visitor type: {type}").format(type=in_language(kind.labels) if kind else visit.visitor_type)] \
        if visit.visitor_type and visit.visitor_type != "guest" else []
    questions = {q.key: q for q in (kind.questions if kind else ())}
    order = [key for key in questions if key in visit.answers] + [k for k in visit.answers if k not in questions]
    for key in order:
        answer, question = str(visit.answers[key]), questions.get(key)
        if question is not None and question.kind == rules.YESNO:
            answer = tr(YES_NO.get(answer, answer))
        elif question is not None and question.kind == rules.CHOICE:
            answer = next((in_language(c.labels) for c in question.choices if c.key == answer), answer)
        lines.append(f"{in_language(question.labels).rstrip('？?:：') if question else key}: {mask_text(answer)}")
    return lines


def consent_lines(visit) -> list[str]:
    """The privacy notice the visitor accepted (its version) and each separate consent's answer
    (kiosk.core.consent); phone and ID numbers anywhere in the pane are masked (kiosk.core.masking)."""
    lines = []
    for answer in visit.consents:
        if answer.get("purpose") == "notice":
            lines.append(tr("Privacy notice accepted: version {version}").format(version=answer.get("version", "")))
        else:
            said = tr("Yes") if answer.get("given") else tr("No")
            lines.append(tr("Consent to {purpose}: {answer}").format(purpose=answer.get("purpose", ""), answer=said))
    return lines


def detail_lines(visit, policy, since: str, flag: str) -> list[str]:
    host = " ".join(filter(None, [visit.host.get("name", ""), visit.host.get("department", "")]))
    lines = [*shared_invitation(visit), visit.visitor.get("company", ""), "→ " + host if host else "",
             mask_text(visit.visitor.get("purpose", "")), since, *signed_out_twice(visit), flag, *answer_lines(visit, policy),
             *map(mask_text, visit.complaints), *consent_lines(visit),
             *(tr(REASONS.get(str(reason), str(reason))) for reason in visit.reasons),
             *(tr("Watchlist: {name} {company} — {note}").format(
                 name=m.get("name", ""), company=m.get("company", ""), note=m.get("note", "")) for m in visit.watchlist),
             *(tr("Message: {text}").format(text=mask_text(text)) for text in visit.messages),
             *(tr("Not delivered: {what}").format(what=what) for what in visit.notify_failed),
             tr("Host told by: {channels}").format(channels=", ".join(visit.notified)) if visit.notified else ""]
    return [str(line) for line in lines if line]
