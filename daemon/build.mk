# daemon/ — tlbisold, the tlbisol daemon, plus its unit tests
# (daemon/test-*.c, run by 'make check-unit') and its systemd files.
#
# The pure logic (knob, state, converge, plan, tasks, conf) goes into a small
# archive that both tlbisold and the tests link, so the tests need neither
# libsystemd nor a bus.

TLBISOLD_PC      := libsystemd libnl-genl-3.0 inih
EXTRA_CFLAGS_daemon := $(call pc_cflags,$(TLBISOLD_PC) cmocka)
# lib/genl.c is part of libtlbisol.a and needs the libnl headers
EXTRA_CFLAGS_lib += $(call pc_cflags,libnl-genl-3.0)

TLBISOLD_CORE_SRC := daemon/tlbisold-knob.c daemon/tlbisold-fair.c daemon/tlbisold-state.c daemon/tlbisold-converge.c \
                     daemon/tlbisold-plan.c daemon/tlbisold-conf.c daemon/tlbisold-tasks.c \
                     daemon/tlbisold-partition.c daemon/tlbisold-partition-tasks.c
TLBISOLD_SRC      := daemon/tlbisold.c daemon/tlbisold-manager.c daemon/tlbisold-manager-bus.c \
                     daemon/tlbisold-apply.c daemon/tlbisold-module.c daemon/tlbisold-irqbalance.c \
                     daemon/tlbisold-watch.c daemon/tlbisold-log.c daemon/tlbisold-manager-data.c \
                     daemon/tlbisold-rearm.c daemon/tlbisold-partition-systemd.c daemon/tlbisold-manager-partition.c
TLBISOLD_CORE     := $(B)/lib/libtlbisold-core.a
TLBISOLD          := $(B)/bin/tlbisold

$(TLBISOLD_CORE): $(patsubst %.c,$(B)/obj/%.o,$(TLBISOLD_CORE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(TLBISOLD): $(patsubst %.c,$(B)/obj/%.o,$(TLBISOLD_SRC)) $(TLBISOLD_CORE) $(LIBTLBISOL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(or $(call pc_libs,$(TLBISOLD_PC)),-lsystemd -lnl-genl-3 -lnl-3 -linih)

PROGRAMS += $(TLBISOLD)

# Unit tests: daemon/test-*.c, cmocka, fixtures in tests/fixtures/daemon.
TLBISOLD_TEST_SRC  := $(wildcard daemon/test-*.c)
TLBISOLD_TEST_BINS := $(patsubst daemon/%.c,$(B)/tests/daemon/%,$(TLBISOLD_TEST_SRC))
UNIT_TESTS += $(TLBISOLD_TEST_BINS)

$(patsubst %.c,$(B)/obj/%.o,$(TLBISOLD_TEST_SRC)): ALL_CFLAGS += -Itests/unit -Idaemon \
	-DTLBISOL_FIXTURES='"$(abspath tests/fixtures)"'

$(TLBISOLD_TEST_BINS): $(B)/tests/daemon/%: $(B)/obj/daemon/%.o $(TLBISOLD_CORE) $(LIBTLBISOL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(or $(call pc_libs,cmocka inih),-lcmocka -linih)

# Installation (mk/install.mk): binary, unit (from its template, with the
# real ExecStart= path), bus policy, tmpfiles, man pages, and the commented
# default configuration, installed only where none exists yet.
TLBISOLD_UNIT := $(B)/systemd/tlbisold.service

$(TLBISOLD_UNIT): systemd/tlbisold.service.in VERSION
	@mkdir -p $(dir $@)
	sed -e '/^#@/d' -e 's|@SBINDIR@|$(SBINDIR)|g' $< > $@.tmp
	@! grep -n '@[A-Z]*@' $@.tmp || { echo "$@: unreplaced placeholder" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@
# the unit depends on SBINDIR: rewrite it when that changes
$(shell mkdir -p $(B)/systemd; echo '$(SBINDIR)' | cmp -s - $(B)/systemd/.sbindir || echo '$(SBINDIR)' > $(B)/systemd/.sbindir)
$(TLBISOLD_UNIT): $(B)/systemd/.sbindir

INSTALL_FILES += 0755:$(TLBISOLD):$(SBINDIR)/tlbisold \
                 0644:$(TLBISOLD_UNIT):$(UNITDIR)/tlbisold.service \
                 0644:systemd/org.tlbisol1.conf:$(DBUS_SYSTEM_POLICYDIR)/org.tlbisol1.conf \
                 0644:systemd/tlbisol-tmpfiles.conf:$(TMPFILESDIR)/tlbisol.conf \
                 0644:daemon/tlbisold.8:$(MANDIR)/man8/tlbisold.8 \
                 0644:daemon/tlbisold.conf.5:$(MANDIR)/man5/tlbisold.conf.5
INSTALL_CONFIGS += systemd/tlbisold.conf:$(SYSCONFDIR)/tlbisol/tlbisold.conf
INSTALL_DIRS    += $(SYSCONFDIR)/tlbisol $(SYSCONFDIR)/tlbisol/tlbisold.conf.d
