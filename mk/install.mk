# make install / make uninstall (user space) and make install-dkms /
# make uninstall-dkms (the module's source, built by DKMS), from lists that
# the fragments fill (targets absolute, without DESTDIR):
#   INSTALL_FILES   += MODE:SOURCE:TARGET
#   INSTALL_CONFIGS += SOURCE:TARGET     installed only when absent
#   INSTALL_DIRS    += TARGET            tlbisol's own directories
#   DKMS_FILES, DKMS_DIRS                the same for install-dkms
# The recipe writes them as a manifest and mk/install.sh does the work, so
# uninstall removes exactly what install put there (see mk/install.sh).

# $(call manifest_lines,FILES,CONFIGS,DIRS) -> quoted shell words, one a line
manifest_lines = $(foreach d,$(3),'dir $(d)') \
                 $(foreach f,$(1),'file $(subst :, ,$(f))') \
                 $(foreach c,$(2),'config $(subst :, ,$(c))')
# $(call sources,FILES,CONFIGS) -> what must be built first
install_sources = $(foreach f,$(1),$(word 2,$(subst :, ,$(f)))) \
                  $(foreach c,$(2),$(word 1,$(subst :, ,$(c))))

.PHONY: install uninstall install-dkms uninstall-dkms installables
# everything install and install-dkms copy (debian/rules builds this)
installables: $(call install_sources,$(INSTALL_FILES) $(DKMS_FILES),$(INSTALL_CONFIGS))

install: $(call install_sources,$(INSTALL_FILES),$(INSTALL_CONFIGS))
	@mkdir -p $(B)
	@printf '%s\n' $(call manifest_lines,$(INSTALL_FILES),$(INSTALL_CONFIGS),$(INSTALL_DIRS)) > $(B)/install.manifest
	@echo "install: into $(or $(DESTDIR),/) (PREFIX=$(PREFIX))"
	@DESTDIR="$(DESTDIR)" mk/install.sh install $(B)/install.manifest

uninstall:
	@mkdir -p $(B)
	@printf '%s\n' $(call manifest_lines,$(INSTALL_FILES),$(INSTALL_CONFIGS),$(INSTALL_DIRS)) > $(B)/install.manifest
	@echo "uninstall: from $(or $(DESTDIR),/) (PREFIX=$(PREFIX))"
	@DESTDIR="$(DESTDIR)" mk/install.sh uninstall $(B)/install.manifest

install-dkms: $(call install_sources,$(DKMS_FILES),)
	@mkdir -p $(B)
	@printf '%s\n' $(call manifest_lines,$(DKMS_FILES),,$(DKMS_DIRS)) > $(B)/install-dkms.manifest
	@echo "install-dkms: module source into $(DESTDIR)$(DKMS_SOURCEDIR)"
	@DESTDIR="$(DESTDIR)" mk/install.sh install $(B)/install-dkms.manifest
	@[ -n "$(DESTDIR)" ] || echo "install-dkms: now build and install it for every kernel with headers: dkms install tlbisol/$(VERSION)"

uninstall-dkms:
	@if [ -z "$(DESTDIR)" ] && command -v dkms > /dev/null && [ -n "$$(dkms status -m tlbisol -v $(VERSION) 2>/dev/null)" ]; then \
	  echo "uninstall-dkms: tlbisol/$(VERSION) is still registered with DKMS; first: dkms remove tlbisol/$(VERSION) --all" >&2; exit 1; fi
	@mkdir -p $(B)
	@printf '%s\n' $(call manifest_lines,$(DKMS_FILES),,$(DKMS_DIRS)) > $(B)/install-dkms.manifest
	@echo "uninstall-dkms: from $(or $(DESTDIR),/)"
	@DESTDIR="$(DESTDIR)" mk/install.sh uninstall $(B)/install-dkms.manifest
