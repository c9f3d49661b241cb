"""``python -m sandboxes.chatwoot``: run the Chatwoot sandbox in the foreground."""

from __future__ import annotations

import argparse
import sys

from .config import SandboxConfig
from .server import HOST, build_sandbox


def main(argv: list[str] | None = None) -> int:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.chatwoot", description="Stateful, strict Chatwoot API simulator."
    )
    parser.add_argument(
        "--host", default=HOST, help="only 127.0.0.1 is allowed: the control API is unauthenticated"
    )
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument(
        "--api-token", default=defaults.api_token, help="access token of the seeded administrator"
    )
    parser.add_argument(
        "--platform-token",
        default=defaults.platform_token,
        help="Platform App token for /platform/api/v1",
    )
    parser.add_argument("--account-id", type=int, default=defaults.account_id)
    parser.add_argument("--account-name", default=defaults.account_name)
    parser.add_argument(
        "--webhook-timeout",
        type=float,
        default=defaults.webhook_timeout,
        help="seconds (Chatwoot's WEBHOOK_TIMEOUT, default 5)",
    )
    parser.add_argument(
        "--drop-underscore-headers",
        action="store_true",
        help="ignore api_access_token-style headers, like nginx by default",
    )
    args = parser.parse_args(argv)
    if args.host != HOST:
        parser.error(f"--host must be {HOST}")
    handle = build_sandbox(
        args.port,
        api_token=args.api_token,
        platform_token=args.platform_token,
        account_id=args.account_id,
        account_name=args.account_name,
        webhook_timeout=args.webhook_timeout,
        accept_underscore_headers=not args.drop_underscore_headers,
    )
    print(
        f"Chatwoot sandbox listening on {handle.url} "
        f"(account {args.account_id}; control API at {handle.url}/_sandbox/)",
        flush=True,
    )
    try:
        handle.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
