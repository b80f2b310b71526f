#!/usr/bin/env python3
"""What each page's first load downloads of wasm, gzipped (docs/benchmarks.md, issue 18).

Run after `cargo leptos build --release --split` (or `--frontend-only`):
    python3 scripts/wasm-sizes.py [target/site/pkg]

A page loads the main bundle and the chunks the split manifest lists for it: its own
(`split_<route>_….wasm`) and the shared ones.
"""

import functools
import gzip
import json
import sys
from pathlib import Path

pkg = Path(sys.argv[1] if len(sys.argv) > 1 else "target/site/pkg")
manifest = json.loads((pkg / "__wasm_split_manifest.json").read_text())


@functools.cache
def packed(name: str) -> int:
    return len(gzip.compress((pkg / name).read_bytes(), 9))


# The boss's console (the target): the main bundle and every chunk its pages load.
CONSOLE = ("artist", "campaigns", "dashboard", "proposals", "settings", "staff")


main = packed("mealquest.wasm")
pages = {
    split.strip("_").rsplit("_", 1)[0]: {f"{chunk}.wasm" for chunk in chunks}
    for split, chunks in manifest.items()
}
print(f"{'main bundle (every page)':<36} {main / 1000:>8,.0f} KB")
for total, name in sorted((main + sum(map(packed, loads)), name) for name, loads in pages.items()):
    print(f"{name:<36} {total / 1000:>8,.0f} KB")
console = set().union(*(loads for name, loads in pages.items() if name.removesuffix("_route_view") in CONSOLE))
print(f"{'the whole console':<36} {(main + sum(map(packed, console))) / 1000:>8,.0f} KB")
everything = sum(packed(p.name) for p in pkg.glob("*.wasm"))
print(f"{'all wasm':<36} {everything / 1000:>8,.0f} KB")
