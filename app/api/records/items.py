"""Each kind of record read, changed and deleted by its ID: the three routes every kind
shares (see ``routes.item_routes``), with what each kind's say to integrators."""

from __future__ import annotations

from app.api.deps import CandidateWriterDep, WriterDep
from app.api.records.routes import ItemRoutes, Operation
from app.schemas import resources as schemas
from app.services import records as service

CANDIDATE = ItemRoutes(
    "candidate",
    schemas.CandidateUpdate,
    # A candidate token may read its own candidate but neither change nor erase it.
    WriterDep,
    get=Operation(service.get_candidate, "Get a candidate", "One candidate."),
    change=Operation(
        service.update_candidate,
        "Change a candidate",
        "Change a candidate; a new time zone or country re-plans all their applications.",
    ),
    delete=Operation(
        service.delete_candidate,
        "Erase a candidate and everything about them",
        "Erase the candidate and everything about them, as a privacy request requires.",
    ),
)
APPLICATION = ItemRoutes(
    "application",
    schemas.ApplicationUpdate,
    CandidateWriterDep,
    get=Operation(service.get_application, "Get an application", "One application."),
    change=Operation(
        service.update_application,
        "Change an application",
        "Change an application; a final status (accepted, rejected, withdrawn) ends check-ins"
        "\nand opens the `connect_on_network` actions.",
    ),
    delete=Operation(
        service.delete_application,
        "Delete an application and all its records",
        "Delete the application with its contacts, interviews, replies and actions.\n\n"
        "A candidate token with the `write` scope may delete its own candidate's applications,"
        "\nas it may record them.",
    ),
)
CONTACT = ItemRoutes(
    "contact",
    schemas.ContactUpdate,
    CandidateWriterDep,
    get=Operation(service.get_contact, "Get a contact", "One contact."),
    change=Operation(
        service.update_contact,
        "Change a contact",
        "Change a contact; a new email unblocks a thank-you, a title can complete E1.",
    ),
    delete=Operation(
        service.delete_contact,
        "Delete a contact",
        "Delete a contact; refused (409) while they sit on a panel or gave a reply.",
    ),
)
INTERVIEW = ItemRoutes(
    "interview",
    schemas.InterviewUpdate,
    CandidateWriterDep,
    get=Operation(service.get_interview, "Get an interview round", "One interview round."),
    change=Operation(
        service.update_interview,
        "Reschedule, cancel or change an interview round",
        "Change a round: reschedule it (its actions move, same keys), cancel it (they become"
        "\nobsolete), record the next step and reply date, or confirm the panel.",
    ),
    delete=Operation(
        service.delete_interview,
        "Delete an interview round recorded by mistake",
        "Delete a round recorded by mistake (to call one off, set `status: cancelled`).",
    ),
)
REPLY = ItemRoutes(
    "reply",
    schemas.ReplyUpdate,
    CandidateWriterDep,
    get=Operation(service.get_reply, "Get a reply", "One reply."),
    change=Operation(service.update_reply, "Change a reply", "Change a reply."),
    delete=Operation(
        service.delete_reply,
        "Delete a reply recorded by mistake",
        "Delete a reply recorded by mistake; check-ins are re-planned.",
    ),
)
