# profiles/: tuned profiles, installed where tuned looks for system profiles
# (TUNED_PROFILEDIR, mk/dirs.mk).
INSTALL_FILES += 0644:profiles/tlbisol-realtime/tuned.conf:$(TUNED_PROFILEDIR)/tlbisol-realtime/tuned.conf
INSTALL_DIRS  += $(TUNED_PROFILEDIR)/tlbisol-realtime
