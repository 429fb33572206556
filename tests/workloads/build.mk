# Static test workloads for the VM guest (busybox has no shared libraries).
# Each tests/workloads/<name>.c becomes $(B)/tests/workloads/<name>; 'make user'
# builds them (they are appended to PROGRAMS). The VM bed copies the directory
# into the guest as $BIN_DIR.
WORKLOAD_NAMES := $(basename $(notdir $(wildcard tests/workloads/*.c)))
WORKLOAD_BINS  := $(addprefix $(B)/tests/workloads/,$(WORKLOAD_NAMES))
PROGRAMS       += $(WORKLOAD_BINS)

# The genetlink test client links libnl statically (libnl-3-dev ships .a).
EXTRA_CFLAGS_tests += $(call pc_cflags,libnl-genl-3.0)
# It validates the module's messages with lib/genl-reply.c (libtlbisol.a).
WORKLOAD_LIBS_tlbisol_nl := $(LIBTLBISOL) -lnl-genl-3 -lnl-3 -lpthread -lm
$(B)/tests/workloads/tlbisol_nl: $(LIBTLBISOL)

$(B)/tests/workloads/%: $(B)/obj/tests/workloads/%.o
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $< $(WORKLOAD_LIBS_$*)

.PHONY: workloads
workloads: $(WORKLOAD_BINS)
