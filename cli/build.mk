# cli/ — tlbctl, its man page, bash completion and JSON schema; the CLI
# tests (tests/cli/) run from 'make check-unit' as one more entry of
# UNIT_TESTS (a script that speaks the cmocka summary format of
# tests/unit/run.sh).

TLBCTL_SRC  := $(wildcard cli/*.c)
TLBCTL_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(TLBCTL_SRC))
TLBCTL      := $(B)/bin/tlbctl
TLBCTL_PKGS := libsystemd libtracefs libtraceevent json-c libnl-genl-3.0

# 'tlbctl check' judges by tlbisold's own rules: it links the daemon's pure
# logic (config, tunables catalogue, task plan; daemon/build.mk), no copy.
TLBCTL_DAEMON_CORE := $(B)/lib/libtlbisold-core.a
EXTRA_CFLAGS_cli += $(call pc_cflags,$(TLBCTL_PKGS) inih) -Idaemon

$(TLBCTL): $(TLBCTL_OBJ) $(TLBCTL_DAEMON_CORE) $(LIBTLBISOL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TLBCTL_OBJ) $(TLBCTL_DAEMON_CORE) $(LIBTLBISOL) $(call pc_libs,$(TLBCTL_PKGS) inih) -lm

PROGRAMS += $(TLBCTL)

# CLI tests: argv -> exit code, and --json checked against the schema by a
# small json-c validator (tests/cli/schema-check.c).
SCHEMA_CHECK := $(B)/tests/cli/schema-check
CLI_TESTS    := $(B)/tests/cli/run-cli-tests

$(SCHEMA_CHECK): $(B)/obj/tests/cli/schema-check.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(call pc_libs,json-c)

# The same checker, static, for VM scenarios (the bed copies
# $(B)/tests/workloads into the guest as $BIN_DIR; the schema is installed).
SCHEMA_CHECK_STATIC := $(B)/tests/workloads/cli_schema_check

$(SCHEMA_CHECK_STATIC): $(B)/obj/tests/cli/schema-check.o
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $< -ljson-c

PROGRAMS += $(SCHEMA_CHECK_STATIC)

# 'tlbctl top --json' needs root and a live kernel: its emitter is tested on
# recorded traces through this replay (tests/cli/top-json-replay.c).
TOP_JSON_REPLAY := $(B)/tests/cli/top-json-replay

$(B)/obj/tests/cli/top-json-replay.o: ALL_CFLAGS += -Icli $(call pc_cflags,json-c)

$(TOP_JSON_REPLAY): $(B)/obj/tests/cli/top-json-replay.o $(B)/obj/cli/attrib-json.o $(B)/obj/cli/json-out.o $(LIBTLBISOL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,json-c) -lm

$(CLI_TESTS): tests/cli/run.sh $(TLBCTL) $(SCHEMA_CHECK) $(TOP_JSON_REPLAY) cli/tlbctl-output.schema.json $(B)/tests/workloads/scrape_loop
	@mkdir -p $(dir $@)
	sed -e 's|@TOP@|$(abspath .)|g' -e 's|@B@|$(abspath $(B))|g' tests/cli/run.sh > $@
	chmod +x $@

UNIT_TESTS += $(CLI_TESTS)

# Installation (mk/install.mk)
INSTALL_FILES += 0755:$(TLBCTL):$(SBINDIR)/tlbctl \
                 0644:cli/tlbctl.8:$(MANDIR)/man8/tlbctl.8 \
                 0644:cli/tlbctl.bash-completion:$(BASHCOMPDIR)/tlbctl \
                 0644:cli/tlbctl-output.schema.json:$(DATADIR)/tlbisol/tlbctl-output.schema.json
INSTALL_DIRS  += $(DATADIR)/tlbisol
# the metrics endpoint and the node_exporter textfile timer (not enabled)
INSTALL_FILES += 0644:systemd/tlbisol-metrics.socket:$(UNITDIR)/tlbisol-metrics.socket \
                 0644:systemd/tlbisol-metrics.service:$(UNITDIR)/tlbisol-metrics.service \
                 0644:systemd/tlbisol-metrics-textfile.service:$(UNITDIR)/tlbisol-metrics-textfile.service \
                 0644:systemd/tlbisol-metrics-textfile.timer:$(UNITDIR)/tlbisol-metrics-textfile.timer
