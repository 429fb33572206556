# The module's source as DKMS builds it (make install-dkms, and the
# tlbisol-dkms package): kmod/'s sources and Kbuild, the UAPI header, a
# dkms.conf whose version is the tree's VERSION, and tlbisol-module.service
# with a drop-in that makes tlbisold.service load the module before it starts
# (and unload it after it stops). They belong to the module's side so that a
# system without the module never tries to load it.

DKMS_CONF := $(B)/dkms/dkms.conf

$(DKMS_CONF): kmod/dkms.conf.in VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< > $@.tmp
	@! grep -n '@[A-Z]*@' $@.tmp || { echo "dkms.conf: unreplaced placeholder" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

DKMS_FILES += $(foreach f,$(KMOD_SRC),0644:$(f):$(DKMS_SOURCEDIR)/$(notdir $(f))) \
              0644:include/uapi/linux/tlbisol.h:$(DKMS_SOURCEDIR)/include/uapi/linux/tlbisol.h \
              0644:$(DKMS_CONF):$(DKMS_SOURCEDIR)/dkms.conf \
              0644:systemd/tlbisol-module.service:$(UNITDIR)/tlbisol-module.service \
              0644:systemd/tlbisold-module.conf:$(UNITDIR)/tlbisold.service.d/tlbisol-module.conf
DKMS_DIRS  += $(DKMS_SOURCEDIR) $(DKMS_SOURCEDIR)/include $(DKMS_SOURCEDIR)/include/uapi \
              $(DKMS_SOURCEDIR)/include/uapi/linux $(UNITDIR)/tlbisold.service.d
