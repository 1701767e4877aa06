"""Summarize py-spy's folded stacks (`py-spy record -f raw`) into function-level hot spots.

    PYTHONPATH=. .venv/bin/python -m bench._profile profile.txt [--top 25] [--match jobapp]

Prints, per function, the share of samples where it is on the stack (inclusive) and where it is the
innermost frame (self), so "where the time goes" can be written down at function level.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def _short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.rsplit("/work/main/", 1)[-1]
    return f"{match['func']} ({path})"


def summarize(text: str, *, top: int = 25, match: str | None = None) -> dict[str, list[tuple[str, float]]]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n

    def ranked(counter: Counter[str]) -> list[tuple[str, float]]:
        rows = [(name, round(100 * n / total, 1)) for name, n in counter.most_common() if not match or match in name]
        return rows[:top]

    return {"samples": total, "inclusive_pct": ranked(inclusive), "self_pct": ranked(own)}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match")
    args = parser.parse_args()
    result = summarize(args.path.read_text(), top=args.top, match=args.match)
    print(f"{result['samples']} samples")
    for key in ("inclusive_pct", "self_pct"):
        print(f"\n{key}:")
        for name, pct in result[key]:  # type: ignore[union-attr]
            print(f"  {pct:5.1f}%  {name}")


if __name__ == "__main__":
    main()


def summarize_cpuprofile(profile: dict, *, top: int = 20) -> dict[str, object]:
    """Self and inclusive time per function, and self time per script, of a Chrome `.cpuprofile`."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile.get("timeDeltas") or []
    total_ms = sum(deltas) / 1000 or 1.0
    samples = profile.get("samples") or []
    per_sample_ms = total_ms / max(1, len(samples))
    hits: Counter[int] = Counter(samples)

    def label(node: dict) -> str:
        frame = node["callFrame"]
        script = frame.get("url", "").rsplit("/", 1)[-1] or "(native)"
        name = frame.get("functionName") or "(anonymous)"
        return name if name.startswith("(") else f"{name} ({script}:{frame.get('lineNumber', 0) + 1})"

    own: Counter[str] = Counter()
    by_script: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    parents = {child: node_id for node_id, node in nodes.items() for child in node.get("children", [])}
    for node_id, count in hits.items():
        node = nodes[node_id]
        ms = count * per_sample_ms
        own[label(node)] += ms
        frame = node["callFrame"]
        by_script[frame.get("url", "").rsplit("/", 1)[-1] or frame.get("functionName") or "(native)"] += ms
        seen: set[str] = set()
        current: int | None = node_id
        while current is not None:
            name = label(nodes[current])
            if name not in seen:
                inclusive[name] += ms
                seen.add(name)
            current = parents.get(current)

    def pct(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * ms / total_ms, 1)) for name, ms in counter.most_common(top)]

    return {
        "profiled_ms": round(total_ms),
        "self_pct": pct(own),
        "inclusive_pct": pct(inclusive),
        "self_pct_by_script": pct(by_script),
    }
