# Build and install syndic on systems without the .deb.
#
#   make                       release build + manual pages
#   sudo make install          files under PREFIX (/usr/local), unit, /etc/syndic
#   sudo make setup            the `syndic` user, /var/lib/syndic, daemon-reload
#   make install DESTDIR=/tmp/stage PREFIX=/usr   staged, for another packager
#   make deb                   target/debian/syndic_*.deb (needs cargo-deb)
#
# Config files in /etc/syndic are installed only where none exist: an admin's
# edits are never overwritten. `make uninstall` leaves them and the database.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/syndic
SYSCONFDIR ?= /etc
UNITDIR    ?= $(SYSCONFDIR)/systemd/system
CARGO      ?= cargo
# The binary to install; `make install BIN=target/debug/syndic` takes another build.
BIN        ?= target/release/syndic
MANOUT     := target/man

.PHONY: all man install setup uninstall deb

all: $(BIN) man

target/release/syndic:
	$(CARGO) build --release --locked --bin syndic

man: $(BIN)
	$(BIN) man --out $(MANOUT)

install: $(BIN) man
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/syndic
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(MANOUT)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/syndic.toml.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 systemd/publish-dir.conf $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/bin/syndic|$(BINDIR)/syndic|' \
	    -e 's|/usr/share/doc/syndic|$(DOCDIR)|' \
	    -e 's|/etc/syndic/|$(SYSCONFDIR)/syndic/|' \
	    systemd/syndic.service > $(DESTDIR)$(UNITDIR)/syndic.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/syndic.service
	install -d $(DESTDIR)$(SYSCONFDIR)/syndic
	[ -e $(DESTDIR)$(SYSCONFDIR)/syndic/syndic.toml ] || install -m 0644 packaging/syndic.toml $(DESTDIR)$(SYSCONFDIR)/syndic/syndic.toml
	[ -e $(DESTDIR)$(SYSCONFDIR)/syndic/sources.toml ] || install -m 0644 config/sources.toml $(DESTDIR)$(SYSCONFDIR)/syndic/sources.toml

# What the .deb's postinst does; run once on the target machine, as root.
setup:
	getent passwd syndic >/dev/null || useradd --system --user-group --home-dir /var/lib/syndic \
	    --no-create-home --shell /usr/sbin/nologin --comment "syndic news-feed aggregator" syndic
	install -d -o syndic -g syndic -m 0750 /var/lib/syndic
	chgrp syndic $(SYSCONFDIR)/syndic/syndic.toml && chmod 0640 $(SYSCONFDIR)/syndic/syndic.toml
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "next: set public_url in $(SYSCONFDIR)/syndic/syndic.toml, then: systemctl enable --now syndic"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/syndic $(DESTDIR)$(MANDIR)/man1/syndic.1 $(DESTDIR)$(MANDIR)/man1/syndic-*.1
	rm -f $(DESTDIR)$(MANDIR)/man5/syndic.toml.5 $(DESTDIR)$(UNITDIR)/syndic.service
	rm -rf $(DESTDIR)$(DOCDIR)

deb: target/release/syndic
	target/release/syndic man --out $(MANOUT)
	$(CARGO) deb --no-build --locked
