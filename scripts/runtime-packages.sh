#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries a binary loads (one per line, sorted), so
# that the image's runtime stage installs exactly what the build produced and cannot drift from it.
# Usage: scripts/runtime-packages.sh build/bin/slime
# Fails, naming the library, when a library is missing or belongs to no installed package.
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}
[ -x "$binary" ] || { echo "runtime-packages: $binary is not an executable" >&2; exit 2; }

status=0
patterns=()
sonames=()
while read -r soname arrow path _; do
  [ "$arrow" = "=>" ] || continue  # the dynamic loader and vdso have no "=>"
  if [ "$path" = "not" ]; then
    echo "runtime-packages: $soname not found" >&2
    status=1
    continue
  fi
  # dpkg records some files under /lib and others under /usr/lib (merged /usr): match on the multiarch
  # directory and the file name.
  patterns+=("*/$(basename "$(dirname "$path")")/$soname")
  sonames+=("$soname")
done < <(ldd "$binary")

owners=$(dpkg -S "${patterns[@]}" 2>/dev/null | grep -v -- '-dev[:,]' || true)
for soname in "${sonames[@]}"; do
  grep -q "/$soname\$" <<<"$owners" && continue
  echo "runtime-packages: no installed package provides $soname" >&2
  status=1
done
cut -d: -f1 <<<"$owners" | tr -d ' ' | tr ',' '\n' | sed '/^$/d' | sort -u
exit $status
