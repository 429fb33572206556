# tests/unit/ — cmocka unit tests: every tests/unit/test_*.c becomes
# $(B)/tests/unit/test_*, linked with libtlbisol.a and cmocka; run them all
# with 'make check-unit' (tests/unit/run.sh). No root, no VM.
# Fixtures are found through TLBISOL_FIXTURES (compiled in, overridable from
# the environment).

UNIT_TEST_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_TEST_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_TEST_SRC))
UNIT_TESTS     += $(UNIT_TEST_BINS)

CMOCKA_CFLAGS  := $(call pc_cflags,cmocka)
CMOCKA_LIBS    := $(or $(call pc_libs,cmocka),-lcmocka)

$(B)/obj/tests/unit/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) \
	-DTLBISOL_FIXTURES='"$(abspath tests/fixtures)"'

$(UNIT_TEST_BINS): $(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(LIBTLBISOL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBTLBISOL) $(UNIT_LIBS_$*) $(CMOCKA_LIBS)

# lib/genl.c's event parser and lib/genl-reply.c are tested on messages built with libnl
UNIT_LIBS_test_genl_event := $(or $(call pc_libs,libnl-genl-3.0),-lnl-genl-3 -lnl-3)
UNIT_LIBS_test_genl_reply := $(UNIT_LIBS_test_genl_event)
