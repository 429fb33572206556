#!/bin/sh
# Tests of 'make install' / 'make uninstall' / 'make install-dkms' into a
# temporary DESTDIR: every listed file lands under DESTDIR with its mode, the
# unit's ExecStart= follows SBINDIR, an edited configuration file survives
# install and uninstall, a foreign file in one of tlbisol's directories is
# kept, uninstall leaves no file and no tlbisol directory, and nothing is
# written where the files would go without DESTDIR.
#
# Installed by tests/install/build.mk as $(B)/tests/install/run-install-tests
# with @TOP@ and @B@ filled in; 'make check-unit' runs it through
# tests/unit/run.sh (cmocka summary format). No root needed.
set -u
TOP=@TOP@
B=@B@
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

run=0; failed=0; failures=
ok()  { run=$((run + 1)); echo "[       OK ] $1"; }
bad() { run=$((run + 1)); failed=$((failed + 1)); failures="$failures $1"; echo "[  FAILED  ] $1: $2"; }
# KDIR pointing nowhere: these makes need no kernel, and resolving the test
# kernels from apt (mk/kmod.mk) costs seconds per make on a loaded machine
mk()  { make -s -C "$TOP" B="$B" KDIR=/nonexistent "$@" > "$tmp/make.out" 2>&1; }

# targets of the last manifest written ('file' and 'config' lines)
targets() { awk '$1 == "file" { print $4 } $1 == "config" { print $3 }' "$1"; }
# state of the real (DESTDIR-less) targets and their directories
real_state() {
	for t in $(targets "$1"); do
		for p in "$t" "$(dirname "$t")"; do
			if [ -e "$p" ]; then stat -c '%n %Y %s %i' "$p"; else echo "$p absent"; fi
		done
	done | sort -u
}
leftovers() { find "$1" -mindepth 1 \( ! -type d -o -name '*tlbisol*' \) | sort; }

# --- 1: install into DESTDIR (default PREFIX) -----------------------------
D=$tmp/root
mkdir -p "$D/usr/sbin" && echo foreign > "$D/usr/sbin/other"
mk install DESTDIR="$D" && cp "$B/install.manifest" "$tmp/manifest"
if [ ! -s "$tmp/manifest" ]; then
	bad install "make install DESTDIR failed: $(head -c 400 "$tmp/make.out")"
else
	real_state "$tmp/manifest" > "$tmp/real.before"
	missing=
	for t in $(targets "$tmp/manifest"); do [ -f "$D$t" ] || missing="$missing $t"; done
	n=$(targets "$tmp/manifest" | wc -l)
	if [ -n "$missing" ]; then bad install_files "not installed:$missing"
	elif [ "$n" -lt 12 ]; then bad install_files "only $n files listed"
	else ok install_files; fi

	modes=$(stat -c '%a %n' "$D/usr/sbin/tlbisold" "$D/usr/sbin/tlbctl" "$D/etc/tlbisol/tlbisold.conf" | tr '\n' ' ')
	case "$modes" in
	"755 $D/usr/sbin/tlbisold 755 $D/usr/sbin/tlbctl 644 $D/etc/tlbisol/tlbisold.conf ") ok install_modes ;;
	*) bad install_modes "$modes" ;;
	esac

	unit=$(find "$D" -name tlbisold.service -type f)
	if [ -z "$unit" ]; then bad unit_execstart "no tlbisold.service installed"
	elif grep -qx 'ExecStart=/usr/sbin/tlbisold' "$unit" && ! grep -q '@[A-Z]*@\|^#@' "$unit"; then ok unit_execstart
	else bad unit_execstart "$(grep -n 'ExecStart\|@' "$unit")"; fi

	for want in tuned/tlbisol-realtime/tuned.conf dbus-1/system.d/org.tlbisol1.conf \
	            tmpfiles.d/tlbisol.conf bash-completion/completions/tlbctl man/man5/tlbisold.conf.5; do
		grep -q "/$want\$" "$tmp/manifest" || bad "dir_$want" "not in the manifest"
	done
	ok install_dirs_listed

	# --- 2: an edited configuration survives install and uninstall ----
	echo '# edited by the admin' >> "$D/etc/tlbisol/tlbisold.conf"
	echo x > "$D/etc/tlbisol/tlbisold.conf.d/50-mine.conf"
	mk install DESTDIR="$D"
	if grep -q 'edited by the admin' "$D/etc/tlbisol/tlbisold.conf" && grep -q 'kept .*tlbisold.conf (edited' "$tmp/make.out"; then
		ok config_kept_on_install
	else bad config_kept_on_install "$(cat "$tmp/make.out")"; fi
	mk uninstall DESTDIR="$D"
	left=$(leftovers "$D" | sed "s|^$D||" | tr '\n' ' ')
	if [ "$left" = "/etc/tlbisol /etc/tlbisol/tlbisold.conf /etc/tlbisol/tlbisold.conf.d /etc/tlbisol/tlbisold.conf.d/50-mine.conf /usr/sbin/other " ]; then
		ok uninstall_keeps_edits
	else bad uninstall_keeps_edits "left: $left"; fi

	# --- 3: without edits, uninstall leaves no file, no tlbisol directory ----
	rm "$D/etc/tlbisol/tlbisold.conf.d/50-mine.conf"
	mk install DESTDIR="$D" && cp "$TOP/systemd/tlbisold.conf" "$D/etc/tlbisol/tlbisold.conf" && mk uninstall DESTDIR="$D"
	left=$(leftovers "$D" | sed "s|^$D||" | tr '\n' ' ')
	if [ "$left" = "/usr/sbin/other " ]; then ok uninstall_exact
	else bad uninstall_exact "left: $left"; fi

	real_state "$tmp/manifest" > "$tmp/real.after"
	if cmp -s "$tmp/real.before" "$tmp/real.after"; then ok nothing_outside_destdir
	else bad nothing_outside_destdir "$(diff "$tmp/real.before" "$tmp/real.after" | head -n 6 | tr '\n' ' ')"; fi
fi

# --- 4: PREFIX moves programs and the unit's ExecStart=, not the unit -----
P=$tmp/prefix
if mk install DESTDIR="$P" PREFIX=/usr/local; then
	unit=$(find "$P" -name tlbisold.service -type f)
	if [ -x "$P/usr/local/sbin/tlbisold" ] && [ -f "$P/usr/local/share/man/man8/tlbctl.8" ] &&
	   [ -n "$unit" ] && grep -qx 'ExecStart=/usr/local/sbin/tlbisold' "$unit" && [ ! -e "$P/usr/sbin" ]; then
		ok prefix_usr_local
	else bad prefix_usr_local "$(find "$P" -type f | sed "s|^$P||" | tr '\n' ' ')"; fi
	mk uninstall DESTDIR="$P" PREFIX=/usr/local
	left=$(leftovers "$P" | tr '\n' ' ')
	[ -z "$left" ] && ok prefix_uninstall || bad prefix_uninstall "left: $left"
else bad prefix_usr_local "make install PREFIX=/usr/local failed: $(head -c 400 "$tmp/make.out")"; fi

# --- 5: install-dkms: the module source with a generated dkms.conf --------
K=$tmp/dkms
version=$(cat "$TOP/VERSION")
if mk install-dkms DESTDIR="$K"; then
	src=$K/usr/src/tlbisol-$version
	if [ -f "$src/dkms.conf" ] && [ -f "$src/Kbuild" ] && [ -f "$src/include/uapi/linux/tlbisol.h" ] &&
	   grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" && ! grep -q '@VERSION@' "$src/dkms.conf" &&
	   [ -n "$(find "$K" -path '*/tlbisold.service.d/*.conf')" ]; then ok dkms_source
	else bad dkms_source "$(find "$K" -type f | sed "s|^$K||" | tr '\n' ' ')"; fi
	# The kernels DKMS builds for: the code needs 6.12 (kmod/README.md).
	# Debian 12's dkms applies only BUILD_EXCLUSIVE_KERNEL (the regex).
	re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$src/dkms.conf")
	wrong=
	for k in 6.1.0-28-amd64 6.5.0-0.deb12.4-amd64 6.11.10+bpo-amd64; do
		echo "$k" | grep -qE "$re" && wrong="$wrong accepts:$k"
	done
	for k in 6.12.117+deb12-amd64 6.12.117+deb12-rt-amd64 6.19.2 6.20.0 7.0.1-amd64 10.1.0; do
		echo "$k" | grep -qE "$re" || wrong="$wrong refuses:$k"
	done
	[ -n "$re" ] && [ -z "$wrong" ] && ok dkms_kernel_bound || bad dkms_kernel_bound "BUILD_EXCLUSIVE_KERNEL='$re'$wrong"
	mk uninstall-dkms DESTDIR="$K"
	left=$(leftovers "$K" | tr '\n' ' ')
	[ -z "$left" ] && ok dkms_uninstall || bad dkms_uninstall "left: $left"
else bad dkms_source "make install-dkms failed: $(head -c 400 "$tmp/make.out")"; fi

echo "[==========] $run test(s) run."
echo "[  PASSED  ] $((run - failed)) test(s)."
if [ "$failed" -gt 0 ]; then
	echo "[  FAILED  ] $failed test(s), listed below:"
	for f in $failures; do echo "[  FAILED  ] $f"; done
	exit 1
fi
