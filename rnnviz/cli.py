"""The ``rnnviz`` command: no subcommand opens the window; subcommands run headless."""

from __future__ import annotations

import argparse
import importlib
import sys

from rnnviz.runtime import keep_freed_memory, prefer_one_blas_thread

prefer_one_blas_thread()  # before anything imports NumPy
keep_freed_memory()

# name -> (module under rnnviz.commands, one-line help). Each module defines
# ``add_arguments(parser)`` and ``run(args) -> int``; modules are imported lazily so that
# ``rnnviz analyze`` never loads Qt.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "run the engine on a sequence and write every number to JSON"),
    "render": ("render", "render the window, a panel or a lesson slide to PNG or SVG, headless"),
    "animate": ("animate", "animate the steps or the backward sweep to a GIF/MP4, headless"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (so each starts fast and alone)."""
    parser = argparse.ArgumentParser(
        prog="rnnviz",
        description="See a recurrent neural network compute, step by step, and watch its "
        "gradients vanish or explode. Without a subcommand, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_text)
            continue
        mod = importlib.import_module(f"rnnviz.commands.{module}")
        p = sub.add_parser(
            name,
            help=help_text,
            description=getattr(mod, "DESCRIPTION", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        from rnnviz.app import main as app_main

        return app_main(argv)
    args = build_parser(argv[0]).parse_args(argv)
    return int(args._run(args))
