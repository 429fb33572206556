#!/bin/sh
# Purpose: install or uninstall the files a manifest lists, under $DESTDIR.
# Usage:   DESTDIR=... mk/install.sh install|uninstall MANIFEST
#          (written by mk/install.mk; 'make install', 'make uninstall',
#          'make install-dkms', 'make uninstall-dkms')
#
# Manifest lines (targets are absolute, without DESTDIR):
#   file   MODE SOURCE TARGET   installed on every install, removed on uninstall
#   config SOURCE TARGET        installed only when TARGET is absent, so an
#                               edited file is never overwritten; removed on
#                               uninstall only while identical to SOURCE
#   dir    TARGET               a directory of tlbisol's own: created on
#                               install, removed on uninstall once empty
# Uninstall removes exactly what install put there: a changed configuration
# file or a directory holding someone else's file is kept, and named.
set -eu
action=${1:?usage: $0 install|uninstall MANIFEST}
manifest=${2:?usage: $0 install|uninstall MANIFEST}
[ -r "$manifest" ] || { echo "install: cannot read $manifest" >&2; exit 2; }
root=${DESTDIR:-}

case "$action" in
install)
	while read -r kind a b c; do
		case "$kind" in
		dir)    install -d "$root$a" ;;
		file)   install -D -m "$a" "$b" "$root$c"; echo "  installed $root$c" ;;
		config)
			if [ -e "$root$b" ] || [ -L "$root$b" ]; then
				if cmp -s "$a" "$root$b"; then echo "  unchanged $root$b"
				else echo "  kept      $root$b (edited; the default is $a)"; fi
			else
				install -D -m 0644 "$a" "$root$b"; echo "  installed $root$b"
			fi ;;
		*) echo "install: $manifest: bad line '$kind $a'" >&2; exit 2 ;;
		esac
	done < "$manifest" ;;
uninstall)
	while read -r kind a b c; do
		case "$kind" in
		file)
			if [ -e "$root$c" ] || [ -L "$root$c" ]; then rm -f "$root$c"; echo "  removed   $root$c"; fi ;;
		config)
			if cmp -s "$a" "$root$b"; then rm -f "$root$b"; echo "  removed   $root$b"
			elif [ -e "$root$b" ]; then echo "  kept      $root$b (edited: yours now)"; fi ;;
		dir|'') ;;
		*) echo "uninstall: $manifest: bad line '$kind $a'" >&2; exit 2 ;;
		esac
	done < "$manifest"
	# deepest first, so a parent follows its children
	awk '$1 == "dir" { print $2 }' "$manifest" | sort -r | while read -r d; do
		[ -d "$root$d" ] || continue
		if rmdir "$root$d" 2>/dev/null; then echo "  removed   $root$d/"
		else echo "  kept      $root$d/ (not empty: $(ls -A "$root$d" | head -n 3 | tr '\n' ' '))"; fi
	done ;;
*) echo "usage: $0 install|uninstall MANIFEST" >&2; exit 2 ;;
esac
