"""python -m sandboxes.krayin --port 3400 --email admin@example.com --password secret"""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from sandboxes.krayin.app import KrayinSandboxApp
from sandboxes.krayin.clock import DEFAULT_TIMEZONE
from sandboxes.krayin.sandbox import Sandbox, SandboxOptions
from sandboxes.krayin.server import check_local_host
from sandboxes.krayin.throttle import DEFAULT_PER_MINUTE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.krayin", description="Stateful, strict Krayin CRM sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=3400)
    parser.add_argument("--email", default="admin@example.com", help="the API user's e-mail")
    parser.add_argument("--password", default="secret", help="the API user's password")
    parser.add_argument("--name", default="API Bot", help="the API user's display name")
    parser.add_argument(
        "--app-debug",
        action="store_true",
        help="render errors as APP_DEBUG=true (401 for bad tokens, 429, debug 404 bodies)",
    )
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, help="APP_TIMEZONE")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_PER_MINUTE,
        help="throttle:api requests per minute per user (0: off)",
    )
    args = parser.parse_args(argv)
    try:
        host = check_local_host(args.host)
    except ValueError as exc:
        parser.error(str(exc))
    sandbox = Sandbox(
        SandboxOptions(
            email=args.email,
            password=args.password,
            name=args.name,
            app_debug=args.app_debug,
            timezone=args.timezone,
            rate_limit=args.rate_limit,
        )
    )
    print(f"Krayin sandbox listening on http://{host}:{args.port}", flush=True)
    print(f"  API:     http://{host}:{args.port}/api/v1 (login as {args.email})", flush=True)
    print(f"  Control: http://{host}:{args.port}/_sandbox/state", flush=True)
    try:
        run_simple(host, args.port, KrayinSandboxApp(sandbox), threaded=True)
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
