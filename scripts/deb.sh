#!/usr/bin/env bash
# make deb: build the Debian package postgresql-15-zalo-tthc the way Debian
# builds PostgreSQL extensions (debian/, pg_buildext, dh --with pgxs_loop),
# from a clean copy of this checkout, into build/deb/ (ZT_DEB_DIR).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ZT_ROOT/scripts/deps.sh"

out=${ZT_DEB_DIR:-$ZT_ROOT/build/deb}
version=$(dpkg-parsechangelog -l "$ZT_ROOT/debian/changelog" -S Version)
src=$out/zalo-tthc-${version%-*}
rm -rf "$out"
mkdir -p "$src"

# The files of the checkout, without what a build or a test left in it.
if git -C "$ZT_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$ZT_ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$src" -xf -
else
	(cd "$ZT_ROOT" && tar --exclude=./build --exclude='./tmp_install*' -cf - .) | tar -C "$src" -xf -
	make -C "$src" -s clean >/dev/null 2>&1 || true
fi

say "building the Debian package (log: $out/build.log)"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	exit 1
}
rm -rf "$src"
ls "$out"/*.deb
