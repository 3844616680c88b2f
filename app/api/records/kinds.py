"""The five kinds of record and their routes (see ``routes.record_router``): what each
route calls and what it says to integrators. How each kind is listed (its filters) is
written in the kind's own module."""

from __future__ import annotations

from app.api.deps import CandidateWriterDep, WriterDep
from app.api.records import applications, candidates, contacts, interviews, replies
from app.api.records.routes import Operation, RecordRoutes
from app.schemas import resources as schemas
from app.services import records as service

CANDIDATES = RecordRoutes(
    "candidates",
    "candidate",
    schemas.CandidateRead,
    schemas.CandidateCreate,
    schemas.CandidateUpdate,
    # A candidate token may read its own candidate but neither change nor erase it.
    WriterDep,
    of_application=False,
    create=Operation(
        service.create_candidate,
        "Start tracking a candidate",
        "Start tracking a job seeker. Their time zone and country decide business days.",
    ),
    list=Operation(candidates.list_candidates, "List candidates"),
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
APPLICATIONS = RecordRoutes(
    "applications",
    "application",
    schemas.ApplicationRead,
    schemas.ApplicationCreate,
    schemas.ApplicationUpdate,
    CandidateWriterDep,
    of_application=False,
    create=Operation(
        service.create_application,
        "Record a job application",
        "Record a job the candidate applied for.\n\n"
        "With a candidate token, only for the token's own candidate: any other `candidate_id`"
        "\nanswers 422 naming `body.candidate_id`, exactly as an unknown one does; nor may a"
        "\ncandidate token set `external_id`, which belongs to the tenant's integration.",
    ),
    list=Operation(applications.list_applications, "List applications"),
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
CONTACTS = RecordRoutes(
    "contacts",
    "contact",
    schemas.ContactRead,
    schemas.ContactCreate,
    schemas.ContactUpdate,
    CandidateWriterDep,
    of_application=True,
    create=Operation(
        service.create_contact,
        "Add a person on the employer's side",
        "Add a person on the employer's side: interviewer, recruiter, firm representative.",
    ),
    list=Operation(contacts.list_contacts, "List an application's contacts"),
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
INTERVIEWS = RecordRoutes(
    "interviews",
    "interview",
    schemas.InterviewRead,
    schemas.InterviewCreate,
    schemas.InterviewUpdate,
    CandidateWriterDep,
    of_application=True,
    create=Operation(
        service.create_interview,
        "Record an interview round",
        "Record an interview round; its panel lists contacts of the same application.",
    ),
    list=Operation(interviews.list_interviews, "List an application's interview rounds"),
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
REPLIES = RecordRoutes(
    "replies",
    "reply",
    schemas.ReplyRead,
    schemas.ReplyCreate,
    schemas.ReplyUpdate,
    CandidateWriterDep,
    of_application=True,
    create=Operation(
        service.create_reply,
        "Record that the employer got back",
        "Record that the employer got back; a pending check-in becomes obsolete, or waits for"
        "\nthe new date they promised.",
    ),
    list=Operation(replies.list_replies, "List an application's replies"),
    get=Operation(service.get_reply, "Get a reply", "One reply."),
    change=Operation(service.update_reply, "Change a reply", "Change a reply."),
    delete=Operation(
        service.delete_reply,
        "Delete a reply recorded by mistake",
        "Delete a reply recorded by mistake; check-ins are re-planned.",
    ),
)

# In the order the API document lists them.
KINDS = (CANDIDATES, APPLICATIONS, CONTACTS, INTERVIEWS, REPLIES)
