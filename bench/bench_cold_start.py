"""Cold import of every function: `functions/*/app.py` loaded in a fresh interpreter, against a
bare interpreter started the same way in the same run.

Run with `make bench` or `uv run python bench/bench_cold_start.py` (no stack needed: importing a
handler opens no connection). Each figure is the best of `--runs` fresh processes, taken in
rounds (every function once per round) so a burst of load elsewhere spoils one sample of many
functions rather than every sample of one. What a function adds over the bare interpreter is the
figure that matters (goal: at most 300 ms each); the CPU time the process used is printed beside
the wall time, since it is what a busy machine disturbs least.
`--path DIR` (repeatable) imports from DIR (a built layer's `python/` folder) instead of the dev
environment, with `-I -S` so nothing else is on sys.path.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 300.0
LOAD = (
    "import importlib.util, sys; sys.path[:0] = {path!r}; "
    "s = importlib.util.spec_from_file_location('app', {app!r}); "
    "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); m.handler"
)


def started_ms(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) time of one fresh interpreter running `command`, in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603 - our interpreter
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to start")
    parser.add_argument("--path", action="append", default=[], help="import from here only")
    parser.add_argument("functions", nargs="*", help="function folders (default: all)")
    args = parser.parse_args()

    names = args.functions or sorted(p.parent.name for p in ROOT.glob("functions/*/app.py"))
    isolated = ["-I", "-S"] if args.path else []
    paths = [str(Path(p).resolve()) for p in args.path] or [str(ROOT / "shared")]
    # Bytecode as Lambda gets it from the layer: written on the first start, read after.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DOTLINE_PROFILE"] = "local"
    commands = {"bare interpreter": [args.python, *isolated, "-c", "pass"]}
    for name in names:
        app = str(ROOT / "functions" / name / "app.py")
        code = LOAD.format(path=[str(ROOT / "functions" / name), *paths], app=app)
        commands[name] = [args.python, *isolated, "-c", code]

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            samples[name].append(started_ms(command, env))
    best = {name: (min(w for w, _ in s), min(c for _, c in s)) for name, s in samples.items()}
    bare_wall, bare_cpu = best.pop("bare interpreter")

    print(f"cold import, best of {args.runs} fresh interpreters ({args.python})")
    print(f"  {'':20s} {'wall':>9s} {'cpu':>9s}   (ms over the bare interpreter)")
    print(f"  {'bare interpreter':20s} {bare_wall:9.1f} {bare_cpu:9.1f}   (ms)")
    for name, (wall, cpu) in best.items():
        print(f"  {name:20s} {wall - bare_wall:+9.1f} {cpu - bare_cpu:+9.1f}")
    slowest = max(best, key=lambda name: best[name][0])
    added = best[slowest][0] - bare_wall
    verdict = "within" if added <= GOAL_MS else "OVER"
    print(
        f"slowest: {slowest} {added:+.1f} ms wall over the bare interpreter "
        f"({verdict} the {GOAL_MS:.0f} ms goal; {(added + bare_wall) / bare_wall:.1f}x bare)"
    )


if __name__ == "__main__":
    main()
