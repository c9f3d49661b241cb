"""The standard objects of a fresh Twenty workspace, as far as core-subset.graphql shows them.

Field lists follow the subset SDL (and NOTES section 2): person, company, opportunity, note,
noteTarget, task, taskTarget, plus workspaceMember as an output-only type.
"""

from __future__ import annotations

from sandboxes.twenty.metadata_ops import FieldSpec, MetadataService
from sandboxes.twenty.model import FieldType as T


def seed_standard_objects(meta: MetadataService) -> None:
    member = meta.seed_object(
        "workspaceMember",
        "workspaceMembers",
        "Workspace Member",
        "Workspace Members",
        [
            FieldSpec("id", T.UUID, "Id", nullable=False, default="uuid"),
            FieldSpec("name", T.FULL_NAME, "Name"),
            FieldSpec("userEmail", T.TEXT, "User Email", default="''"),
        ],
        has_records_api=False,
        is_system=True,
    )
    company = meta.seed_object(
        "company",
        "companies",
        "Company",
        "Companies",
        [
            FieldSpec("name", T.TEXT, "Name", default="''"),
            FieldSpec("domainName", T.LINKS, "Domain Name", unique=True),
            FieldSpec("employees", T.NUMBER, "Employees"),
            FieldSpec("linkedinLink", T.LINKS, "Linkedin"),
            FieldSpec("xLink", T.LINKS, "X"),
            FieldSpec("annualRecurringRevenue", T.CURRENCY, "ARR"),
            FieldSpec("address", T.ADDRESS, "Address"),
            FieldSpec("idealCustomerProfile", T.BOOLEAN, "ICP", nullable=False, default=False),
        ],
        duplicate_criteria=[["name"], ["domainNamePrimaryLinkUrl"]],
    )
    person = meta.seed_object(
        "person",
        "people",
        "Person",
        "People",
        [
            FieldSpec("name", T.FULL_NAME, "Name"),
            FieldSpec("emails", T.EMAILS, "Emails", unique=True),
            FieldSpec("linkedinLink", T.LINKS, "Linkedin"),
            FieldSpec("xLink", T.LINKS, "X"),
            FieldSpec("jobTitle", T.TEXT, "Job Title", default="''"),
            FieldSpec("phones", T.PHONES, "Phones"),
            FieldSpec("city", T.TEXT, "City", default="''"),
            FieldSpec("avatarUrl", T.TEXT, "Avatar", default="''"),
        ],
        duplicate_criteria=[
            ["nameFirstName", "nameLastName"],
            ["linkedinLinkPrimaryLinkUrl"],
            ["emailsPrimaryEmail"],
        ],
    )
    opportunity = meta.seed_object(
        "opportunity",
        "opportunities",
        "Opportunity",
        "Opportunities",
        [
            FieldSpec("name", T.TEXT, "Name", default="''"),
            FieldSpec("amount", T.CURRENCY, "Amount"),
            FieldSpec("closeDate", T.DATE_TIME, "Close date"),
            FieldSpec(
                "stage",
                T.SELECT,
                "Stage",
                nullable=False,
                default="'NEW'",
                options=("NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"),
            ),
        ],
    )
    note = meta.seed_object(
        "note",
        "notes",
        "Note",
        "Notes",
        [
            FieldSpec("title", T.TEXT, "Title", default="''"),
            FieldSpec("bodyV2", T.RICH_TEXT, "Body"),
        ],
        label_identifier="title",
    )
    task = meta.seed_object(
        "task",
        "tasks",
        "Task",
        "Tasks",
        [
            FieldSpec("title", T.TEXT, "Title", default="''"),
            FieldSpec("bodyV2", T.RICH_TEXT, "Body"),
            FieldSpec("dueAt", T.DATE_TIME, "Due Date"),
            FieldSpec(
                "status",
                T.SELECT,
                "Status",
                default="'TODO'",
                options=("TODO", "IN_PROGRESS", "DONE"),
            ),
        ],
        label_identifier="title",
    )
    note_target = meta.seed_object(
        "noteTarget", "noteTargets", "Note Target", "Note Targets", [],
        full_system_fields=False, is_system=True, label_identifier=None,
    )  # fmt: skip
    task_target = meta.seed_object(
        "taskTarget", "taskTargets", "Task Target", "Task Targets", [],
        full_system_fields=False, is_system=True, label_identifier=None,
    )  # fmt: skip

    meta.seed_relation(company, "accountOwner", member, "accountOwnerForCompanies")
    meta.seed_relation(person, "company", company, "people")
    meta.seed_relation(opportunity, "pointOfContact", person, "pointOfContactForOpportunities")
    meta.seed_relation(opportunity, "company", company, "opportunities")
    meta.seed_relation(opportunity, "owner", member, "ownedOpportunities")
    meta.seed_relation(task, "assignee", member, "assignedTasks")
    # Current Twenty links notes and tasks through morph relations named target*.
    meta.seed_relation(note_target, "note", note, "noteTargets")
    meta.seed_relation(task_target, "task", task, "taskTargets")
    for target_object, suffix in (
        (person, "Person"),
        (company, "Company"),
        (opportunity, "Opportunity"),
    ):
        meta.seed_relation(note_target, f"target{suffix}", target_object, "noteTargets")
        meta.seed_relation(task_target, f"target{suffix}", target_object, "taskTargets")
