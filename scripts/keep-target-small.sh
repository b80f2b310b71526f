#!/usr/bin/env bash
# A reused cargo target dir only grows: every change leaves its old test binaries (~200 MB
# each, they link SurrealDB) behind, and the disk filled up once in CI. Before a run, drop the
# incremental caches; if the dir is still too big, or the disk too full for a whole build
# (docs/toolchain.md: 7.9 GB from empty), start from an empty dir (a cold build, ~18 min).
set -euo pipefail
target="${1:?usage: keep-target-small.sh TARGET_DIR}"
max_gb="${MEALQUEST_TARGET_MAX_GB:-30}"
min_free_gb="${MEALQUEST_MIN_FREE_GB:-20}"
[ -d "$target" ] || exit 0

gb_used() { du -s --block-size=1G "$target" | cut -f1; }
# Asked of the parent: the dir itself may just have been removed.
gb_free() { df --output=avail --block-size=1G "$(dirname "$target")" | tail -1 | tr -d ' '; }

# <target>/debug/incremental, and <target>/front/wasm32-unknown-unknown/debug/incremental.
find "$target" -maxdepth 4 -type d -name incremental -prune -exec rm -rf {} +
used=$(gb_used)
free=$(gb_free)
echo "cargo target dir: ${used} GB, ${free} GB free on its disk"
if [ "$used" -gt "$max_gb" ] || [ "$free" -lt "$min_free_gb" ]; then
  echo "more than ${max_gb} GB or less than ${min_free_gb} GB free: emptying it"
  rm -rf "$target"
  echo "now ${free} → $(gb_free) GB free"
fi
