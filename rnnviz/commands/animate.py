"""``rnnviz animate``: the window (or one panel) stepping through the inputs, or the backward
sweep, as a GIF or MP4, headless. Takes every option of ``rnnviz render``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnviz.commands.render import (
    ArgumentError,
    Scene,
    add_scene_arguments,
    build_scene,
    check_out,
    shown,
    user_errors,
)

# ASCII only: --help must print on any terminal encoding.
DESCRIPTION = """\
Animate the rnnviz window, or one of its panels, to a GIF (or an MP4 when the
imageio-ffmpeg package is installed) without any display.

WHAT
  steps     from t = 0, one frame after each input fed, up to --steps N (default all)
  backward  backpropagation through time over the fed steps: the sweep from step T
            down to 1, then the finished gradients
  both      the steps, then the backward sweep
  --backward with --what steps adds the sweep after the steps (as "both"), and so does
  a lesson slide that runs the backward pass.
  Sequences longer than 300 steps are sampled evenly to 300 frames.

The scene options (--panel, --size, --weights, --inputs, --preset, --steps, --unrolled,
--folded, --scenario, --slide) are those of `rnnviz render`; see `rnnviz render --help`.

EXIT STATUS
  0 when the file was written; 2 for a bad argument or file, with one line on stderr.
"""

WHATS: tuple[str, ...] = ("steps", "backward", "both")
ANIMATION_SUFFIXES: tuple[str, ...] = (".gif", ".mp4")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.gif", help="where to write (.mp4)")
    parser.add_argument("--what", choices=WHATS, default="steps", help="what moves (steps)")
    parser.add_argument("--fps", type=float, default=4.0, help="frames per second (4)")
    add_scene_arguments(parser)


def run(args: argparse.Namespace) -> int:

    try:
        out = check_out(args.out, ANIMATION_SUFFIXES)
        what = "both" if args.what == "steps" and args.backward else args.what
        # The backward sweep is what is animated: the scene starts from the forward state.
        args.backward = False
        scene = build_scene(args)
        write_animation(scene, out, what, args.fps)
    except user_errors() as err:
        print(f"rnnviz animate: error: {err}", file=sys.stderr)
        return 2
    return 0


def write_animation(scene: Scene, out: Path, what: str, fps: float) -> None:
    """Draw every frame of the scene's animation into ``out``."""
    from rnnviz.views.window.snapshots import AnimationWriter, frames, plan_animation

    if what == "steps" and scene.slide is not None and scene.slide.backward:
        what = "both"  # the slide's backward pass is part of what it shows
    try:
        writer = AnimationWriter(out, fps)
    except ValueError as e:
        raise ArgumentError(str(e).removeprefix(f"{out}: ")) from None
    with shown(scene) as widget:
        try:
            plan = plan_animation(scene.session, what)
        except ValueError as e:
            raise ArgumentError(f"--what {what}: {e}") from None
        try:
            for frame in frames(plan, widget):
                writer.append(frame)
        except BaseException:
            writer.abort()
            raise
        writer.close()
