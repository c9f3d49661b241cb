"""python -m sandboxes.glpi --port 3300 --app-token X --user-token Y [--session-idle-seconds N]"""

from __future__ import annotations

import argparse

from sandboxes.glpi.config import DEFAULT_SESSION_IDLE_SECONDS
from sandboxes.glpi.server import build_sandbox, check_local_host


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.glpi",
        description="Stateful, strict simulator of GLPI 10's legacy REST API (apirest.php).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="only 127.0.0.1 is accepted")
    parser.add_argument("--port", type=int, default=3300)
    parser.add_argument(
        "--app-token", default=None, help="the API client's App-Token (default: none required)"
    )
    parser.add_argument("--user-token", required=True, help="the API user's user_token")
    parser.add_argument(
        "--session-idle-seconds",
        type=float,
        default=DEFAULT_SESSION_IDLE_SECONDS,
        help="idle time after which a Session-Token dies (PHP gc_maxlifetime, default 1440)",
    )
    args = parser.parse_args(argv)
    try:
        host = check_local_host(args.host)
    except ValueError as exc:
        parser.error(str(exc))
    handle = build_sandbox(
        args.port,
        host=host,
        app_token=args.app_token,
        user_token=args.user_token,
        session_idle_seconds=args.session_idle_seconds,
    )
    print(f"GLPI sandbox listening on {handle.base_url}", flush=True)
    print(f"  API:     {handle.url}/", flush=True)
    print(f"  Control: {handle.base_url}/_sandbox/state", flush=True)
    handle.serve_forever()


if __name__ == "__main__":
    main()
