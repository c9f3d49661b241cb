"""Krayin 2.x's only push mechanism: a workflow whose action is "trigger webhook".

Read from krayin/laravel-crm (Automation package): a workflow fires on an event such as
`lead.update.after`; when its conditions hold, `AbstractEntity::triggerWebhook` takes the
admin-configured webhook (method, end_point, headers, payload template), json-encodes the
template and replaces `{%leads.<attribute code>%}` placeholders with display values, and
`WebhookService` sends it with Guzzle (30 s timeout, no retries, no signature). Only
*attribute* codes are placeholders: `{%leads.id%}` is left as it is, so the payload cannot
carry the lead id unless the admin adds a custom attribute. The sandbox sends from one
daemon thread (Krayin sends inside the request) and keeps a delivery log.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit

import requests

from sandboxes.krayin.clock import iso, now
from sandboxes.krayin.models import JsonObject, JsonValue

DELIVERY_TIMEOUT_SECONDS = 30.0
USER_AGENT = "GuzzleHttp/7"
EVENTS = (
    "lead.create.after",
    "lead.update.after",
    "lead.delete.before",
    "contacts.person.create.after",
    "contacts.person.update.after",
    "contacts.person.delete.before",
    "activity.create.after",
    "activity.update.after",
    "activity.delete.before",
)
ENTITY_TYPES = {"lead": "leads", "contacts": "persons", "activity": "activities"}
OPERATORS = ("==", "!=", ">", "<", ">=", "<=", "{}", "!{}")

# What an admin would typically put in the webhook's payload (key/value rows in the UI).
DEFAULT_LEAD_PAYLOAD: list[JsonValue] = [
    {"key": "title", "value": "{%leads.title%}"},
    {"key": "lead_value", "value": "{%leads.lead_value%}"},
    {"key": "stage", "value": "{%leads.lead_pipeline_stage_id%}"},
    {"key": "pipeline", "value": "{%leads.lead_pipeline_id%}"},
    {"key": "sales_owner", "value": "{%leads.user_id%}"},
    {"key": "expected_close_date", "value": "{%leads.expected_close_date%}"},
]


def entity_type_of(event: str) -> str:
    return ENTITY_TYPES[event.split(".", 1)[0]]


def php_json(value: object) -> str:
    """json_encode defaults: compact, `/` escaped, non-ASCII as \\u escapes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


@dataclass
class Condition:
    attribute: str
    operator: str
    value: JsonValue

    def holds(self, values: dict[str, object]) -> bool:
        actual = values.get(self.attribute)
        left, right = _comparable(actual), _comparable(self.value)
        if self.operator == "==":
            return left == right
        if self.operator == "!=":
            return left != right
        if self.operator in ("{}", "!{}"):
            contained = str(self.value).casefold() in str(actual or "").casefold()
            return contained if self.operator == "{}" else not contained
        if not isinstance(left, Decimal) or not isinstance(right, Decimal):
            return False
        return {
            ">": left > right,
            "<": left < right,
            ">=": left >= right,
            "<=": left <= right,
        }[self.operator]


def _comparable(value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


@dataclass
class Workflow:
    """A workflow (event + conditions) with one trigger_webhook action and its webhook."""

    id: int
    name: str
    url: str
    method: str
    headers: dict[str, str]
    events: list[str]
    payload: JsonValue
    conditions: list[Condition] = field(default_factory=list)
    condition_type: str = "and"
    created_at: str = ""

    def as_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "method": self.method,
            "headers": dict(self.headers),
            "events": list(self.events),
            "payload": self.payload,
            "conditions": [
                {"attribute": c.attribute, "operator": c.operator, "value": c.value}
                for c in self.conditions
            ],
            "condition_type": self.condition_type,
            "created_at": self.created_at,
        }

    def applies(self, event: str, values: dict[str, object]) -> bool:
        if event not in self.events:
            return False
        if not self.conditions:
            return True
        results = [c.holds(values) for c in self.conditions]
        return all(results) if self.condition_type == "and" else any(results)


def _headers(raw: JsonValue) -> dict[str, str]:
    """WebhookService::formatHeaders: a map, or key/value rows (skipping disabled ones)."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    headers: dict[str, str] = {}
    if isinstance(raw, list):
        for row in raw:
            if not isinstance(row, dict) or "key" not in row or "value" not in row:
                raise ValueError("headers rows need key and value")
            if row.get("disabled") or row.get("enabled") is False:
                continue
            headers[str(row["key"])] = str(row["value"])
    elif raw is not None:
        raise ValueError("headers must be an object or a list of {key, value}")
    return headers


def workflow_from_json(workflow_id: int, data: JsonObject) -> Workflow:
    url = str(data.get("url") or data.get("end_point") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("url must be an http(s) URL")
    method = str(data.get("method") or "POST").upper()
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ValueError("method must be GET, POST, PUT, PATCH or DELETE")
    raw_events = data.get("events") or ["lead.update.after"]
    if not isinstance(raw_events, list) or any(e not in EVENTS for e in raw_events):
        raise ValueError(f"events must be a list drawn from {', '.join(EVENTS)}")
    raw_conditions = data.get("conditions") or []
    if not isinstance(raw_conditions, list):
        raise ValueError("conditions must be a list")
    conditions = []
    for raw in raw_conditions:
        if not isinstance(raw, dict) or raw.get("operator", "==") not in OPERATORS:
            raise ValueError(f"each condition needs attribute, operator ({OPERATORS}), value")
        conditions.append(
            Condition(str(raw.get("attribute")), str(raw.get("operator", "==")), raw.get("value"))
        )
    condition_type = str(data.get("condition_type") or "and")
    if condition_type not in ("and", "or"):
        raise ValueError("condition_type must be and or or")
    payload = data.get("payload", DEFAULT_LEAD_PAYLOAD)
    return Workflow(
        id=workflow_id,
        name=str(data.get("name") or f"Webhook {workflow_id}"),
        url=url,
        method=method,
        headers=_headers(data.get("headers")),
        events=[str(e) for e in raw_events],
        payload=payload,
        conditions=conditions,
        condition_type=condition_type,
        created_at=iso(now()) or "",
    )


def replace_placeholders(text: str, entity_type: str, values: dict[str, str]) -> str:
    """AbstractEntity::replacePlaceholders: both `{%t.code%}` and `{% t.code %}`."""
    for code, value in values.items():
        text = text.replace(f"{{%{entity_type}.{code}%}}", value)
        text = text.replace(f"{{% {entity_type}.{code} %}}", value)
    return text


def _format_payload(payload: JsonValue) -> JsonValue:
    """WebhookService::formatPayload: key/value rows become one object."""
    if isinstance(payload, dict) and "key" in payload and "value" in payload:
        return {str(payload["key"]): payload["value"]}
    if (
        isinstance(payload, list)
        and payload
        and all(isinstance(r, dict) and "key" in r and "value" in r for r in payload)
    ):
        rows = [r for r in payload if isinstance(r, dict)]
        return {
            str(r["key"]): r["value"]
            for r in rows
            if not r.get("disabled") and r.get("enabled") is not False
        }
    return payload


@dataclass(frozen=True)
class Outgoing:
    headers: dict[str, str]
    body: bytes | None


def build_request(workflow: Workflow, entity_type: str, values: dict[str, str]) -> Outgoing:
    """The request Guzzle sends for this workflow's webhook, after placeholder replacement."""
    headers = {"User-Agent": USER_AGENT}
    rendered_headers = replace_placeholders(php_json(workflow.headers), entity_type, values)
    try:
        decoded_headers = json.loads(rendered_headers)
    except ValueError:
        decoded_headers = {}
    if isinstance(decoded_headers, dict):
        headers.update({str(k): str(v) for k, v in decoded_headers.items()})
    text = replace_placeholders(php_json(workflow.payload), entity_type, values)
    if workflow.method in ("GET", "HEAD") or workflow.payload is None:
        return Outgoing(headers, None)
    content_type = next(
        (
            v.split(";")[0].strip().lower()
            for k, v in headers.items()
            if k.lower() == "content-type"
        ),
        "",
    )
    try:
        decoded: JsonValue = json.loads(text)
        is_json = True
    except ValueError:
        decoded, is_json = text, False
    if content_type == "application/x-www-form-urlencoded" or (
        not content_type and not is_json and "=" in text and "&" in text
    ):
        form = _format_payload(decoded) if is_json else None
        body = urlencode(form) if isinstance(form, dict) else text
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return Outgoing(headers, body.encode())
    if content_type in ("", "application/json") and (is_json or content_type):
        headers.setdefault("Content-Type", "application/json")
        return Outgoing(headers, php_json(_format_payload(decoded)).encode())
    return Outgoing(headers, text.encode())


@dataclass
class Delivery:
    workflow_id: int
    event: str
    url: str
    method: str
    timestamp: str
    headers: dict[str, str]
    body: str | None
    status: int | None = None
    error: str | None = None
    response: str | None = None

    def as_dict(self) -> JsonObject:
        return {
            "workflow_id": self.workflow_id,
            "event": self.event,
            "url": self.url,
            "method": self.method,
            "timestamp": self.timestamp,
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "error": self.error,
            "response": self.response,
        }


@dataclass
class _Job:
    workflow: Workflow
    event: str
    outgoing: Outgoing


class WebhookDispatcher:
    """Sends queued webhook calls from one daemon thread."""

    def __init__(self) -> None:
        self.deliveries: deque[Delivery] = deque(maxlen=5000)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._session = requests.Session()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="krayin-webhooks", daemon=True)
        self._thread.start()

    def enqueue(self, workflow: Workflow, event: str, outgoing: Outgoing) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(_Job(workflow, event, outgoing))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued call has been attempted (tests use this)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._session.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._deliver(job)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, job: _Job) -> None:
        body = job.outgoing.body
        delivery = Delivery(
            job.workflow.id,
            job.event,
            job.workflow.url,
            job.workflow.method,
            iso(now()) or "",
            dict(job.outgoing.headers),
            body.decode() if body is not None else None,
        )
        self.deliveries.append(delivery)
        try:
            response = self._session.request(
                job.workflow.method,
                job.workflow.url,
                data=body,
                headers=job.outgoing.headers,
                timeout=DELIVERY_TIMEOUT_SECONDS,
            )
            # http_errors => false: any status is a "success" for Krayin; nothing is retried.
            delivery.status = response.status_code
            delivery.response = response.text[:2000]
        except requests.RequestException as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
