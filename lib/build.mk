# lib/ — libtlbisol.a, the code shared by tlbisold and tlbctl.
# Every lib/*.c is part of it; objects use the generic $(B)/obj/%.o rule.

LIBTLBISOL_SRC := $(wildcard lib/*.c)
LIBTLBISOL_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIBTLBISOL_SRC))
LIBTLBISOL     := $(B)/lib/libtlbisol.a

$(LIBTLBISOL): $(LIBTLBISOL_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

PROGRAMS += $(LIBTLBISOL)
