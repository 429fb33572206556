# Kernel modules: tlbisol.ko (kmod/) and the test-only helper (tests/kmod/).
#
# Which kernel(s) to build for:
#   KDIR=<dir>                 exactly that kernel build tree;
#   otherwise, if the running kernel has /lib/modules/$(uname -r)/build, that;
#   otherwise the Debian 6.12 test kernels (generic and rt), each resolved from
#   apt at run time (scripts/kernel-version.sh) and built against
#   /usr/src/linux-headers-<release>.
# Each build lands in $(B)/kmod/<release>/, so the VM can pick the module whose
# vermagic matches the kernel it boots (tests/vm/lib.sh checks that).

RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
ifneq ($(KDIR),)
KMOD_RELEASES := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
KMOD_WHY      := KDIR=$(KDIR) given on the command line
kdir_for       = $(KDIR)
else ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KMOD_RELEASES := $(shell uname -r)
KMOD_WHY      := the running kernel's build tree $(RUNNING_KDIR)
kdir_for       = $(RUNNING_KDIR)
else
KMOD_RELEASES := $(shell scripts/kernel-version.sh generic 2>/dev/null) \
                 $(shell scripts/kernel-version.sh rt 2>/dev/null)
KMOD_WHY      := the Debian 6.12 test kernels (no build tree for the running kernel $(shell uname -r))
kdir_for       = /usr/src/linux-headers-$(1)
endif

KMOD_SRC       := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild
KHELPER_SRC    := $(wildcard tests/kmod/*.c tests/kmod/*.h) tests/kmod/Kbuild
KMOD_TARGETS   := $(foreach r,$(KMOD_RELEASES),$(B)/kmod/$(r)/tlbisol.ko)
KHELPER_TARGETS:= $(foreach r,$(KMOD_RELEASES),$(B)/kmod/$(r)/test/tlbisol_test.ko)

# 'make' (all) builds the module for every release whose build tree exists
# and says how to get the others; 'make kmod' insists on all of them.
KMOD_READY   := $(foreach r,$(KMOD_RELEASES),$(if $(wildcard $(call kdir_for,$(r))/Makefile),$(r)))
KMOD_MISSING := $(filter-out $(KMOD_READY),$(KMOD_RELEASES))

.PHONY: kmod kmod-info kmod-if-headers
kmod: kmod-info $(KMOD_TARGETS) $(KHELPER_TARGETS)

kmod-if-headers: $(foreach r,$(KMOD_READY),$(B)/kmod/$(r)/tlbisol.ko $(B)/kmod/$(r)/test/tlbisol_test.ko)
	@if [ -z "$(strip $(KMOD_RELEASES))" ]; then \
	  echo "make: user space built; tlbisol.ko not built: no kernel build tree found. Install the headers of your kernel (apt install linux-headers-$$(uname -r)) and run 'make kmod', or 'make kmod KDIR=<kernel build dir>' ('make user' builds user space only)."; \
	elif [ -n "$(strip $(KMOD_MISSING))" ]; then \
	  echo "make: tlbisol.ko not built for $(strip $(KMOD_MISSING)): no build tree at $(foreach r,$(KMOD_MISSING),$(call kdir_for,$(r))). Install linux-headers-<release> ('make deps' for the test kernels) and run 'make kmod', or 'make kmod KDIR=<kernel build dir>'."; \
	fi

kmod-info:
	@if [ -z "$(strip $(KMOD_RELEASES))" ]; then \
	  echo "kmod: no kernel to build for: install headers with 'make deps', or pass KDIR=<kernel build dir>" >&2; exit 1; fi
	@echo "kmod: building for $(strip $(KMOD_RELEASES)) ($(KMOD_WHY))"

# $(1) = kernel release, $(2) = output dir, $(3) = sources, $(4) = module
define kmod_rule
$(2)/$(4): $(3) include/uapi/linux/tlbisol.h mk/kmod.mk
	@test -f $(call kdir_for,$(1))/Makefile || { \
	  echo "kmod: no kernel build tree at $(call kdir_for,$(1)); run 'make deps' (installs linux-headers-$(1))" >&2; exit 1; }
	@mkdir -p $(2)
	@cp $(3) $(2)/
	$$(MAKE) -C $(call kdir_for,$(1)) M=$(abspath $(2)) \
	  TLBISOL_INCLUDE=$(abspath include) W=1 modules
endef
$(foreach r,$(KMOD_RELEASES),$(eval $(call kmod_rule,$(r),$(B)/kmod/$(r),$(KMOD_SRC),tlbisol.ko)))

# The test directory: tlbisol_test.ko, tlbisol_homonym.ko and the TEST build
# of tlbisol.ko (protocol check, negative controls; kmod/Kbuild TLBISOL_TEST).
# The production tlbisol.ko must keep the deferral's flush inline, with no
# call before it (tests/kmod/check-inline-flush.sh reads the object code).
# The test build calls its protocol-check hooks on paths before the flush:
# the script must report it (the check's negative control).
define khelper_rule
$(2)/tlbisol_test.ko: $(KHELPER_SRC) $(KMOD_SRC) include/uapi/linux/tlbisol.h mk/kmod.mk tests/kmod/check-inline-flush.sh tests/kmod/mutant-no-serialize.S
	@test -f $(call kdir_for,$(1))/Makefile || { \
	  echo "kmod: no kernel build tree at $(call kdir_for,$(1)); run 'make deps' (installs linux-headers-$(1))" >&2; exit 1; }
	@mkdir -p $(2)
	@cp $(KHELPER_SRC) $(wildcard kmod/*.c kmod/*.h) $(2)/
	@cp kmod/Kbuild $(2)/tlbisol.kbuild
	$$(MAKE) -C $(call kdir_for,$(1)) M=$(abspath $(2)) \
	  TLBISOL_INCLUDE=$(abspath include) W=1 modules
	tests/kmod/check-inline-flush.sh $(B)/kmod/$(1)/tlbisol.ko
	@if tests/kmod/check-inline-flush.sh $(2)/tlbisol.ko > /dev/null 2>&1; then \
	  echo "check-inline-flush: negative control failed: the test build (calls before its flush) passed" >&2; exit 1; \
	else echo "check-inline-flush: negative control: the test build is reported (it calls before flushing)"; fi
	@as -o $(2)/mutant-no-serialize.o tests/kmod/mutant-no-serialize.S
	@if ! tests/kmod/check-inline-flush.sh $(2)/mutant-no-serialize.o 2>&1 | grep -q 'returns after invpcid'; then \
	  echo "check-inline-flush: negative control failed: a catch-up returning after invpcid without serializing passed" >&2; exit 1; \
	else echo "check-inline-flush: negative control: a catch-up that does not serialize after invpcid is reported"; fi
endef
$(foreach r,$(KMOD_RELEASES),$(eval $(call khelper_rule,$(r),$(B)/kmod/$(r)/test)))
$(foreach r,$(KMOD_RELEASES),$(eval $(B)/kmod/$(r)/test/tlbisol_test.ko: $(B)/kmod/$(r)/tlbisol.ko))
