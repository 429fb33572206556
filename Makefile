# tlbisol — top-level build.
#
#   make               user space, and the module where kernel headers exist
#   make user          user space only (lib, tlbctl, tlbisold)
#   make kmod          the module only (KDIR=<kernel build dir> to choose)
#   make deps          install every build and test dependency (Debian 12)
#   make check-unit    fast unit tests: no root, no VM
#   make nl-gen        regenerate the netlink family's C files from netlink/specs/
#   make test          unit tests, make deb, then the VM scenarios on both 6.12
#                      flavours (the packages end to end on rt among them)
#   make test-pkg      make deb, then the packages end to end on the generic
#                      kernel too (apt install, DKMS, tuned profile, purge)
#   make demo          boot the VM and show what tlbisol does
#   make bench         interrupts on isolated CPUs, stock vs tuned vs tlbisol, in the
#                      VM (tests/bench/noise-bench.sh; ~20 min; FLAVOURS=rt for one kernel)
#   make bench-daemon  tlbisold's own figures in the VM (reaction time, idle wake-ups, RSS)
#   make install       user space into $(DESTDIR); PREFIX=/usr (mk/dirs.mk)
#   make install-dkms  the module's source for DKMS (then: dkms install)
#   make uninstall     remove what 'make install' put there (uninstall-dkms too)
#   make deb           Debian packages tlbisol and tlbisol-dkms in build/deb/
#
# User-space pieces are described by small fragments (lib/build.mk,
# cli/build.mk, daemon/build.mk, tests/unit/build.mk) so each folder owns its
# own file list; the kernel side lives in mk/kmod.mk.

B           ?= build
CC          ?= cc
PKG_CONFIG  ?= pkg-config
VERSION     := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
include mk/dirs.mk

WERROR      ?= 1
WARNINGS    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wpointer-arith -Wundef -Wvla \
               -Wnull-dereference -Wimplicit-fallthrough \
               -Wno-unused-parameter   # callbacks take what their type gives
ifeq ($(WERROR),1)
WARNINGS    += -Werror
endif
CFLAGS      ?= -O2 -g
CPPFLAGS    += -D_GNU_SOURCE -DTLBISOL_VERSION='"$(VERSION)"' -Iinclude -Ilib
ALL_CFLAGS   = -std=gnu11 $(WARNINGS) $(CPPFLAGS) $(CFLAGS)

# pkg-config for a list of packages; empty (and reported by 'make deps') if missing
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

.PHONY: all user deps nl-gen check-unit check-unit-valgrind test test-vm test-pkg deb-under-test demo bench bench-daemon clean distclean help
all: user kmod-if-headers

# Each fragment appends to PROGRAMS, UNIT_TESTS and the install lists of
# mk/install.mk (INSTALL_FILES, INSTALL_CONFIGS, INSTALL_DIRS).
PROGRAMS        :=
UNIT_TESTS      :=
INSTALL_FILES   :=
INSTALL_CONFIGS :=
INSTALL_DIRS    :=
DKMS_FILES      :=
DKMS_DIRS       :=
-include lib/build.mk
-include cli/build.mk
-include daemon/build.mk
-include tests/unit/build.mk
-include tests/workloads/build.mk
-include tests/install/build.mk
-include profiles/build.mk
include mk/kmod.mk
include mk/dkms.mk
include mk/install.mk
-include mk/deb.mk

user: $(PROGRAMS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$<))) -MMD -MP -c -o $@ $<

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

deps:
	scripts/deps.sh

check-unit: $(UNIT_TESTS)
	@empty=$$(find tests/fixtures -type d -empty); if [ -n "$$empty" ]; then \
	  echo "check-unit: git does not keep empty fixture directories; add a file to: $$empty" >&2; exit 1; fi
	@tests/unit/nl-gen-fresh.sh
	@tests/unit/run.sh $(UNIT_TESTS)

# The UAPI header and kmod/tlbisol_nl-gen.[ch] come from the family's spec
# through the kernel's ynl-gen-c.py; they are committed, and check-unit fails
# while they are stale.
nl-gen:
	B=$(B) scripts/nl-gen.sh

check-unit-valgrind: $(UNIT_TESTS)
	@TEST_WRAPPER="valgrind --error-exitcode=1 --leak-check=full -q" tests/unit/run.sh $(UNIT_TESTS)

test: check-unit test-vm

# The packages under test, built from this tree (package-deb installs them in
# the guest). The unit tests are make check-unit's: nocheck here.
deb-under-test: all
	DEB_BUILD_OPTIONS=nocheck $(MAKE) --no-print-directory deb

test-vm: deb-under-test
	tests/vm/run-all.sh

# The Debian packages end to end on the other kernel (tests/vm/scenarios-pkg.list):
# make test runs them on rt; the guest compiles the module with DKMS under TCG
# (6 min on an idle host, 12 loaded), too long to pay twice in make test.
test-pkg: deb-under-test
	VM_SCENARIOS=tests/vm/scenarios-pkg.list tests/vm/run-all.sh

# The demo shows a report, not compiler lines: the build goes to a log file
# whose path is printed when it fails. FLAVOUR=rt (default) or generic.
demo:
	@mkdir -p $(B)
	@echo "demo: building tlbctl, tlbisold and tlbisol.ko (log: $(B)/demo-build.log)"
	@$(MAKE) --no-print-directory all > $(B)/demo-build.log 2>&1 || \
	  { echo "demo: the build failed; last lines of $(B)/demo-build.log:" >&2; tail -n 20 $(B)/demo-build.log >&2; exit 1; }
	@tests/vm/demo.sh $(FLAVOUR)

# Benchmarks that print figures (counts and latencies measured in the VM).
bench: all
	tests/bench/noise-bench.sh

bench-daemon: all
	tests/bench/daemon-bench.sh $(or $(FLAVOUR),generic)

clean:
	rm -rf $(B)/obj $(B)/bin $(B)/lib $(B)/tests $(B)/kmod

distclean:
	rm -rf $(B)

help:
	@sed -n '3,19p' Makefile
