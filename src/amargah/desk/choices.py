"""Enumerations of the service desk: kinds, statuses, clocks, actions and error codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    """What a person asks the office for."""

    INFO_REQUEST = "info_request", _("Statistical information request")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion or criticism")


class RequesterKind(models.TextChoices):
    """Who is asking."""

    CITIZEN = "citizen", _("Citizen")
    BUSINESS = "business", _("Business")
    AGENCY = "agency", _("Government agency")


class Channel(models.TextChoices):
    """How a ticket reached the office."""

    WEB = "web", _("Website")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")


class TicketStatus(models.TextChoices):
    """Where a ticket stands."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    WAITING = "waiting", _("Waiting on the requester")
    ANSWERED = "answered", _("Answered")
    REJECTED = "rejected", _("Rejected on a legal ground")
    REFERRED = "referred", _("Referred to another body")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# Statuses in which the office still owes the requester something.
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.WAITING,
    TicketStatus.REOPENED,
)


# Statuses that conclude a request: each is the office's response and its resolution on
# the SLA page. A reasoned rejection or a referral answers the requester as the law
# requires, within the same deadline.
CONCLUDED_STATUSES = (TicketStatus.ANSWERED, TicketStatus.REJECTED, TicketStatus.REFERRED)


class Outcome(models.TextChoices):
    """How a concluded request ended, when not with the information itself."""

    REJECTED = "rejected", _("Rejected on a legal ground")
    REFERRED = "referred", _("Referred to another body")


class LegalBasis(models.TextChoices):
    """The legal grounds on which an information request may be refused.

    The law on publication and free access to information allows a refusal only on
    the exceptions of its articles 13 to 17; its executive regulation (article 13)
    lets an unclear request be refused with the reason stated.
    """

    LAW_13 = "law_13", _("Law on Free Access to Information, article 13")
    LAW_14 = "law_14", _("Law on Free Access to Information, article 14")
    LAW_15 = "law_15", _("Law on Free Access to Information, article 15")
    LAW_16 = "law_16", _("Law on Free Access to Information, article 16")
    LAW_17 = "law_17", _("Law on Free Access to Information, article 17")
    UNCLEAR = "regulation_13", _("Executive regulation, article 13: the request is unclear")


class PreferredFormat(models.TextChoices):
    """The form in which a requester would like statistics."""

    ANY = "any", _("Any format")
    TABLE = "table", _("Spreadsheet (Excel or CSV)")
    DOCUMENT = "document", _("Document (PDF)")
    PRINTED = "printed", _("Printed copy")


class Clock(models.TextChoices):
    """The calendar an SLA target counts in."""

    ALWAYS = "always", _("24/7: every hour of every day")
    WORKING = "working", _("Working days and office hours")


class MessageVisibility(models.TextChoices):
    """Who may read a message on a ticket."""

    PUBLIC = "public", _("Visible to the requester")
    INTERNAL = "internal", _("Internal note")


class EventAction(models.TextChoices):
    """What happened to a ticket: the audit trail."""

    CREATED = "created", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    REPLIED = "replied", _("Public reply")
    NOTE_ADDED = "note_added", _("Internal note")
    REQUESTER_REPLIED = "requester_replied", _("Requester replied")
    ATTACHMENT_ADDED = "attachment_added", _("File attached")
    PAUSED = "paused", _("SLA clock paused")
    RESUMED = "resumed", _("SLA clock resumed")
    AT_RISK = "at_risk", _("Deadline near: warning sent")
    ESCALATED = "escalated", _("Escalated to a supervisor")
    RATED = "rated", _("Rated by the requester")
    VIEWED = "viewed", _("Opened by staff")
    REJECTED = "rejected", _("Rejected on a legal ground")
    REFERRED = "referred", _("Referred to another body")
    ANONYMISED = "anonymised", _("Personal data removed")


class SlaTarget(models.TextChoices):
    """The two promises an SLA policy makes."""

    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class NotificationChannel(models.TextChoices):
    """How a notification travels."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class NotificationStatus(models.TextChoices):
    """Where a notification in the outbox stands."""

    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed for good")


class SurveySource(models.TextChoices):
    """Where a satisfaction rating came from."""

    TICKET = "ticket", _("After an answer")
    STANDALONE = "standalone", _("Survey page")


class DeskErrorCode(models.TextChoices):
    """Machine-readable reasons a desk action was refused."""

    LOOKUP_FAILED = "lookup_failed", _("No request matches this tracking code and mobile number")
    BAD_TRACKING_CODE = "bad_tracking_code", _("The tracking code has a typing error")
    FORM_TOO_FAST = "form_too_fast", _("The form was sent too fast")
    FORM_EXPIRED = "form_expired", _("The form has expired")
    HONEYPOT = "honeypot", _("The form was filled in by a program")
    OTP_INVALID = "otp_invalid", _("The confirmation code is wrong or has expired")
    FILE_TOO_LARGE = "file_too_large", _("The file is too large")
    FILE_TYPE = "file_type", _("This type of file is not accepted")
    SURVEY_TOKEN = "survey_token", _("The survey link is invalid, used or expired")
    TRANSITION = "transition", _("This status change is not allowed")
    DECISION_INCOMPLETE = (
        "decision_incomplete",
        _("A rejection needs a legal ground and an explanation; a referral needs the body"),
    )
    SLA_BREACHED = "sla_breached", _("An SLA target was missed")
