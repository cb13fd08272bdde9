"""``flexcoop`` command line: demo | osb | cloud | image | bench (each with --help).

The flags are a stable contract (ARCHITECTURE.md §5): operators and scripts rely on them.
Sub-commands import their implementation lazily so ``flexcoop --help`` stays instant on a Pi.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from flexcoop import __version__


def _cmd_osb(args: argparse.Namespace) -> int:
    from flexcoop.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    if args.check_config:
        print(f"{args.config}: ok ({len(config.devices)} devices)")
        return 0
    from flexcoop.edge.runtime import run_daemon

    return run_daemon(config)


def _cmd_cloud(args: argparse.Namespace) -> int:
    from flexcoop.cloud.server import run_server

    return run_server(
        host=args.host,
        port=args.port,
        db_url=args.db,
        open_registration=args.open_registration,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_ca=args.tls_ca,
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from flexcoop.demo import run_demo

    return run_demo(homes=args.homes, hours=args.hours, speed=args.speed)


def _cmd_image(args: argparse.Namespace) -> int:
    print("flexcoop image build: the SD image recipe arrives with the image issue", file=sys.stderr)
    return 3


BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"


def _cmd_bench(args: argparse.Namespace) -> int:
    scripts = sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_"))
    if args.name is None or args.name not in scripts:
        print(
            "available benchmarks: " + (", ".join(scripts) or "none (run from a source checkout)")
        )
        return 0 if args.name is None else 2
    sys.argv = [str(BENCH_DIR / f"{args.name}.py"), *args.rest]
    runpy.run_path(sys.argv[0], run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flexcoop", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"flexcoop {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run virtual homes with their OSBs and print a summary")
    demo.add_argument("--homes", type=int, default=1, help="number of virtual homes (default 1)")
    demo.add_argument("--hours", type=float, default=24.0, help="simulated hours (default 24)")
    demo.add_argument(
        "--speed", type=float, default=1440.0, help="simulated seconds per wall second"
    )
    demo.set_defaults(func=_cmd_demo)

    osb = sub.add_parser("osb", help="run the Open Smart Box daemon")
    osb.add_argument("--config", required=True, help="TOML configuration file")
    osb.add_argument("--check-config", action="store_true", help="validate the config and exit")
    osb.set_defaults(func=_cmd_osb)

    cloud = sub.add_parser("cloud", help="run the cloud (VTN, REST API, portal)")
    cloud.add_argument("--host", default="127.0.0.1")
    cloud.add_argument("--port", type=int, default=8000)
    cloud.add_argument(
        "--db",
        default="sqlite:///flexcoop-cloud.sqlite",
        help="database URL (sqlite or postgresql)",
    )
    cloud.add_argument(
        "--open-registration",
        action="store_true",
        help="let any VEN register without a certificate (labs only)",
    )
    cloud.add_argument("--tls-cert", help="PEM server certificate (serve HTTPS, TLS >= 1.2)")
    cloud.add_argument("--tls-key", help="PEM private key of --tls-cert")
    cloud.add_argument("--tls-ca", help="PEM CA bundle: require VEN client certificates (mTLS)")
    cloud.set_defaults(func=_cmd_cloud)

    image = sub.add_parser("image", help="build the OSB SD image")
    image.add_argument("action", choices=["build"])
    image.set_defaults(func=_cmd_image)

    bench = sub.add_parser("bench", help="run a benchmark from bench/ (prints JSON)")
    bench.add_argument("name", nargs="?")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
