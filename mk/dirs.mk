# Installation directories (make install, make install-dkms, the Debian
# packages). Every one can be given on the command line.
#
# PREFIX moves what only tlbisol reads: programs, man pages, data. The files
# other services read go where the installed service reads them, whatever
# PREFIX is, so they are asked from that service's pkg-config file; the
# fallback is what Debian 12 ships when the .pc file is absent:
#   systemd units      systemd.pc  systemdsystemunitdir  /lib/systemd/system
#   tmpfiles.d         systemd.pc  tmpfilesdir           /usr/lib/tmpfiles.d
#   D-Bus system bus   dbus-1.pc   datadir/dbus-1/system.d  /usr/share/dbus-1/system.d
#   bash completion    bash-completion.pc completionsdir /usr/share/bash-completion/completions
#   tuned profiles     (no .pc; tuned 2.20 reads /usr/lib/tuned and /etc/tuned)
#   DKMS sources       (dkms reads /usr/src/<name>-<version>)
# The configuration stays in /etc (tlbisold reads /etc/tlbisol/tlbisold.conf).

PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
SYSCONFDIR  ?= /etc
DESTDIR     ?=

# $(call pc_var,PACKAGE,VARIABLE,FALLBACK), evaluated once
pc_var = $(or $(shell $(PKG_CONFIG) --variable=$(2) $(1) 2>/dev/null),$(3))
UNITDIR               ?= $(call pc_var,systemd,systemdsystemunitdir,/lib/systemd/system)
TMPFILESDIR           ?= $(call pc_var,systemd,tmpfilesdir,/usr/lib/tmpfiles.d)
DBUS_SYSTEM_POLICYDIR ?= $(call pc_var,dbus-1,datadir,/usr/share)/dbus-1/system.d
BASHCOMPDIR           ?= $(call pc_var,bash-completion,completionsdir,/usr/share/bash-completion/completions)
TUNED_PROFILEDIR      ?= /usr/lib/tuned
DKMS_SOURCEDIR        ?= /usr/src/tlbisol-$(VERSION)
UNITDIR               := $(UNITDIR)
TMPFILESDIR           := $(TMPFILESDIR)
DBUS_SYSTEM_POLICYDIR := $(DBUS_SYSTEM_POLICYDIR)
BASHCOMPDIR           := $(BASHCOMPDIR)
