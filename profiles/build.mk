# profiles/: tuned profiles, installed where tuned looks for system profiles.
TUNED_PROFILEDIR ?= $(PREFIX)/lib/tuned

INSTALL_TARGETS += install-profiles
.PHONY: install-profiles
install-profiles:
	install -d $(DESTDIR)$(TUNED_PROFILEDIR)/tlbisol-realtime
	install -m 644 profiles/tlbisol-realtime/tuned.conf $(DESTDIR)$(TUNED_PROFILEDIR)/tlbisol-realtime/
