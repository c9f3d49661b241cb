"""python -m sandboxes.twenty --host 127.0.0.1 --port 3200 --api-key KEY [--rate-limit 100]"""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from sandboxes.twenty.app import TwentySandboxApp
from sandboxes.twenty.filters import QUERY_MAX_RECORDS
from sandboxes.twenty.limits import DEFAULT_CALLS_PER_MINUTE, DEFAULT_CALLS_PER_SECOND
from sandboxes.twenty.sandbox import Sandbox, SandboxOptions
from sandboxes.twenty.server import check_local_host


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.twenty", description="Stateful, strict Twenty CRM sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=3200)
    parser.add_argument("--api-key", required=True, help="the Bearer token clients must send")
    parser.add_argument("--api-key-name", default="Sandbox API key")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_CALLS_PER_MINUTE,
        help="calls per minute per workspace (default 100)",
    )
    parser.add_argument("--rate-limit-per-second", type=int, default=DEFAULT_CALLS_PER_SECOND)
    parser.add_argument("--batch-limit", type=int, default=QUERY_MAX_RECORDS)
    parser.add_argument(
        "--bootstrap",
        action="store_true",
        help="start with the KGC custom data model already created",
    )
    parser.add_argument(
        "--webhook-allowed-host",
        action="append",
        default=None,
        help="only deliver webhooks to these hostnames (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        host = check_local_host(args.host)
    except ValueError as exc:
        parser.error(str(exc))
    sandbox = Sandbox(
        SandboxOptions(
            api_key=args.api_key,
            api_key_name=args.api_key_name,
            calls_per_minute=args.rate_limit,
            calls_per_second=args.rate_limit_per_second,
            batch_limit=args.batch_limit,
            webhook_allowed_hosts=frozenset(args.webhook_allowed_host)
            if args.webhook_allowed_host
            else None,
            bootstrap=args.bootstrap,
        )
    )
    print(f"Twenty sandbox listening on http://{host}:{args.port}", flush=True)
    print(f"  GraphQL:  http://{host}:{args.port}/graphql", flush=True)
    print(f"  Metadata: http://{host}:{args.port}/metadata", flush=True)
    print(f"  Control:  http://{host}:{args.port}/_sandbox/state", flush=True)
    try:
        run_simple(host, args.port, TwentySandboxApp(sandbox), threaded=True)
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
