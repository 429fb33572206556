#!/bin/sh
# Purpose: print the exact Debian kernel release (uname -r) that a flavour's
#          meta package currently points to, resolved from apt at run time.
# Usage:   scripts/kernel-version.sh generic|rt
#
# Debian replaces kernel packages on every point release, so the version is
# never written down anywhere in the tree: the meta package
# linux-image-6.12[-rt]-amd64 depends on exactly one versioned image package
# linux-image-<release>, and <release> is what the VM boots and what the
# module must be built against.
set -eu

flavour=${1:-}
case "$flavour" in
generic) meta=linux-image-6.12-amd64 ;;
rt)      meta=linux-image-6.12-rt-amd64 ;;
*) echo "usage: $0 generic|rt" >&2; exit 2 ;;
esac

dep=$(apt-cache depends "$meta" 2>/dev/null |
      sed -n 's/^  Depends: linux-image-\(6\.12\.[^ ]*\)$/\1/p' | head -n 1)
if [ -z "$dep" ]; then
	echo "$0: apt knows no package $meta; run 'apt-get update' (or 'make deps')" >&2
	exit 1
fi
echo "$dep"
