# make deb: the Debian packages tlbisol and tlbisol-dkms (debian/, debhelper
# and dh-dkms), built in a copy of the tree so that nothing is written next
# to it or into it outside $(B): the copy is $(DEB_DIR)/src/tlbisol-VERSION,
# the packages, .changes and .buildinfo land in $(DEB_DIR), and lintian
# checks them (failing on errors and warnings; overrides are in
# debian/*.lintian-overrides, each with its reason).
DEB_DIR  := $(B)/deb
DEB_SRC  := $(DEB_DIR)/src/tlbisol-$(VERSION)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEBS     := $(DEB_DIR)/tlbisol_$(VERSION)_$(DEB_ARCH).deb $(DEB_DIR)/tlbisol-dkms_$(VERSION)_all.deb

.PHONY: deb
deb:
	@command -v dpkg-buildpackage > /dev/null && command -v dh_dkms > /dev/null && command -v lintian > /dev/null || { \
	  echo "deb: needs dpkg-dev, debhelper, dh-dkms and lintian: run 'make deps'" >&2; exit 1; }
	@c=$$(dpkg-parsechangelog -SVersion); [ "$$c" = "$(VERSION)" ] || { \
	  echo "deb: debian/changelog is at $$c but VERSION says $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	@# the tree as git sees it (tracked and new files, not ignored ones), or without $(B) outside git
	if git rev-parse --show-toplevel > /dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' _ | \
	    tar --null -T - -cf - | tar -xf - -C $(DEB_SRC); \
	else tar --exclude=./$(B) -cf - . | tar -xf - -C $(DEB_SRC); fi
	cd $(DEB_SRC) && dpkg-buildpackage -b -uc -us > ../../build.log 2>&1 || { \
	  echo "deb: dpkg-buildpackage failed; last lines of $(DEB_DIR)/build.log:" >&2; tail -n 30 ../../build.log >&2; exit 1; }
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	rm -rf $(DEB_DIR)/src
	lintian -I --fail-on error,warning $(DEB_DIR)/tlbisol_$(VERSION)_$(DEB_ARCH).changes
	@ls -l $(DEBS)
