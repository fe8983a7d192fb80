"""The `spangle` command: serve an app, export URLs to TypeScript, print the client."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from spangle._internal.collector import DEFAULT_THAW_RATIO, DEFAULT_THRESHOLD
from spangle.api import Api

__all__ = ["main", "load_api"]


class CliError(Exception):
    """Bad command-line input, reported as one line with exit status 2."""


def load_api(target: str) -> Api:
    """Import `module:attribute` and check that it is an `Api`.

    The current directory is importable, as with `python -m`; the attribute
    may be dotted (`module:app.api`).

    Args:
        target: A string such as `"examples.hello:api"`.

    Returns:
        The Api.

    Raises:
        CliError: The module or attribute is missing, or it is not an Api.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise CliError(f"expected MODULE:ATTRIBUTE, got {target!r}")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CliError(f"no module named {exc.name!r}") from None
    except TypeError:  # a relative name such as `.app`
        raise CliError(f"{module_name!r} is not an absolute module name") from None
    api: object = module
    try:
        for name in attribute.split("."):
            api = getattr(api, name)
    except AttributeError:
        raise CliError(
            f"module {module_name!r} has no attribute {attribute!r}"
        ) from None
    if not isinstance(api, Api):
        raise CliError(f"{target} is a {type(api).__name__}, not a spangle Api")
    return api


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _thresholds(text: str) -> tuple[int, int, int]:
    parts = text.split(",")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise argparse.ArgumentTypeError(
            f"expected three counts of 0 or more such as 10000,10,10, got {text}"
        )
    return values[0], values[1], values[2]


def _ratio(text: str) -> float:
    value = float(text)
    if not value >= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


#: uvicorn's WebSocket implementations; the default passes every
#: Autobahn|Testsuite case with no traceback in the server log.
WS_IMPLEMENTATIONS = ("wsproto", "websockets", "websockets-sansio")
DEFAULT_WS = "wsproto"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _run(args: argparse.Namespace) -> int:
    from spangle._internal.collector import CollectorPolicy
    from spangle._internal.serving import log_config, run

    api = load_api(args.app)
    collector = CollectorPolicy(
        freeze=args.gc_freeze,
        threshold=args.gc_threshold,
        thaw_ratio=args.gc_thaw_ratio,
    )
    started = run(
        args.app if args.reload or args.workers > 1 else api,
        collector=collector,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        # spangle always speaks the lifespan protocol: never let uvicorn take
        # a lifespan error for "protocol unsupported" and serve anyway.
        lifespan="on",
        ws=args.ws,
        ws_per_message_deflate=args.ws_per_message_deflate,
        ws_max_size=max(api.ws_max_message_bytes + 1024, 16 * 1024 * 1024),
        ws_ping_interval=args.ws_ping_interval,
        ws_ping_timeout=args.ws_ping_timeout,
        limit_concurrency=args.limit_concurrency,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        log_level=args.log_level,
        log_config=log_config(args.log_level),
    )
    return 0 if started else 3


def _urls_ts(args: argparse.Namespace) -> int:
    from spangle._internal.urls_ts import render_urls_ts

    api = load_api(args.app)
    try:
        source = render_urls_ts(api)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    sys.stdout.write(source)
    return 0


def _client_js(args: argparse.Namespace) -> int:
    from spangle._internal.client import CLIENT_FILES, client_source

    if args.out is None:
        sys.stdout.write(client_source(types=args.types))
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, types in CLIENT_FILES:
            (args.out / name).write_text(client_source(types=types), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write to {str(args.out)!r}: {exc.strerror}") from None
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spangle", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser(
        "run",
        help="serve an app with uvicorn",
        description="Serve an app with uvicorn, with defaults chosen for "
        "production (see docs/deployment.md).",
    )
    run.add_argument("app", help="the app as MODULE:ATTRIBUTE")
    run.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    run.add_argument(
        "--port", type=int, default=8000, help="port to bind (default: %(default)s)"
    )
    run.add_argument("--reload", action="store_true", help="restart on code changes")
    run.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes (default: %(default)s)",
    )
    run.add_argument(
        "--ws",
        choices=WS_IMPLEMENTATIONS,
        default=DEFAULT_WS,
        help="uvicorn's WebSocket implementation; wsproto passes all 517 "
        "Autobahn|Testsuite cases (default: %(default)s)",
    )
    run.add_argument(
        "--ws-per-message-deflate",
        action="store_true",
        help="offer permessage-deflate compression to WebSocket clients (off "
        "by default: about 96 KiB of server memory per connection)",
    )
    run.add_argument(
        "--ws-ping-interval",
        type=_seconds,
        default=20.0,
        metavar="SECONDS",
        help="ping each WebSocket client this often, to find dead peers "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--ws-ping-timeout",
        type=_seconds,
        default=20.0,
        metavar="SECONDS",
        help="close a WebSocket whose client has not answered a ping in time "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--limit-concurrency",
        type=_positive,
        default=None,
        metavar="N",
        help="answer 503 once this many connections and tasks are open "
        "(default: no limit)",
    )
    run.add_argument(
        "--timeout-graceful-shutdown",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, close WebSockets with 1012 and wait this long "
        "for them, cancel the views still running, then wait as long for HTTP "
        "requests before the lifespan shutdown (default: %(default)s)",
    )
    run.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after startup and after each full garbage collection, move the "
        "objects still alive out of the collector's reach (gc.freeze), so full "
        "collections walk only newer objects (default: on)",
    )
    run.add_argument(
        "--gc-threshold",
        type=_thresholds,
        default=",".join(str(n) for n in DEFAULT_THRESHOLD),
        metavar="N0,N1,N2",
        help="the garbage collector's thresholds, as gc.set_threshold takes "
        "them (default: %(default)s; Python's own are 700,10,10)",
    )
    run.add_argument(
        "--gc-thaw-ratio",
        type=_ratio,
        default=DEFAULT_THAW_RATIO,
        metavar="RATIO",
        help="with --gc-freeze, give every frozen object back to the collector "
        "once there are RATIO times as many as after the last time, so "
        "reference cycles among them are freed (default: %(default)s)",
    )
    run.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="level of uvicorn's and spangle's log lines (default: %(default)s)",
    )
    run.set_defaults(func=_run)
    urls = commands.add_parser("urls-ts", help="print a TypeScript urlFor helper")
    urls.add_argument("app", help="the app as MODULE:ATTRIBUTE")
    urls.set_defaults(func=_urls_ts)
    client = commands.add_parser(
        "client-js",
        help="print the browser client for rooms (an ES module)",
        description="Print spangle's browser client for rooms: a dependency-free "
        "ES module that reconnects, resumes and tracks presence (see "
        "docs/rooms.md).",
    )
    client.add_argument(
        "--types", action="store_true", help="print its TypeScript declarations"
    )
    # duplicates: argparse declarations, one option each.
    client.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write spangle.js and spangle.d.ts into DIR instead",
    )
    client.set_defaults(func=_client_js)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `spangle` command.

    Args:
        argv: Arguments without the program name; `sys.argv[1:]` by default.

    Returns:
        The exit status: 0 on success (the help, with no command, as in
        spangle 0.11), 2 on bad input.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"spangle: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover - `python -m spangle.cli`
    sys.exit(main())
