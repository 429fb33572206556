# tests/install/: make install / uninstall / install-dkms into a temporary
# DESTDIR, run by 'make check-unit' (tests/install/run.sh).
INSTALL_TESTS := $(B)/tests/install/run-install-tests

$(INSTALL_TESTS): tests/install/run.sh $(PROGRAMS)
	@mkdir -p $(dir $@)
	sed -e 's|@TOP@|$(abspath .)|g' -e 's|@B@|$(abspath $(B))|g' $< > $@
	chmod +x $@

UNIT_TESTS += $(INSTALL_TESTS)
