# profiles/: tuned profiles, installed where tuned looks for system profiles
# (TUNED_PROFILEDIR, mk/dirs.mk).
INSTALL_FILES += 0644:profiles/tlbisol-realtime/tuned.conf:$(TUNED_PROFILEDIR)/tlbisol-realtime/tuned.conf \
                 0755:profiles/tlbisol-realtime/verify.sh:$(TUNED_PROFILEDIR)/tlbisol-realtime/verify.sh
INSTALL_DIRS  += $(TUNED_PROFILEDIR)/tlbisol-realtime
