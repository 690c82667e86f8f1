# Build the two commands and a Debian package of them.
#
#   make            xt2nft and recentctl in ./build
#   make deb        build/xt2nft_VERSION_ARCH.deb (binaries, man pages, completions)
#   make check-deb  install that package in a throwaway root and run it
#
# VERSION defaults to the last tag (or 0.0.0) plus the commit: git describe.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null | sed 's/^v//; s/^\([0-9a-f]\{7,\}\)/0.0.0+g\1/; s/-/+/g' || echo 0.0.0)
ARCH    ?= $(shell dpkg --print-architecture 2>/dev/null || go env GOARCH)
GO      ?= go
LDFLAGS := -s -w -X github.com/xt2nft/xt2nft/internal/version.Version=$(VERSION)
PKG     := build/deb/xt2nft_$(VERSION)_$(ARCH)

.PHONY: all deb check-deb clean FORCE

all: build/xt2nft build/recentctl

build/%: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/$*

FORCE:

deb: all
	rm -rf $(PKG)
	install -D -m 0755 build/xt2nft    $(PKG)/usr/sbin/xt2nft
	install -D -m 0755 build/recentctl $(PKG)/usr/sbin/recentctl
	install -d $(PKG)/usr/share/man/man8
	gzip -9n < doc/xt2nft.8    > $(PKG)/usr/share/man/man8/xt2nft.8.gz
	gzip -9n < doc/recentctl.8 > $(PKG)/usr/share/man/man8/recentctl.8.gz
	install -D -m 0644 doc/completion/xt2nft.bash    $(PKG)/usr/share/bash-completion/completions/xt2nft
	install -D -m 0644 doc/completion/recentctl.bash $(PKG)/usr/share/bash-completion/completions/recentctl
	install -D -m 0644 doc/completion/_xt2nft        $(PKG)/usr/share/zsh/vendor-completions/_xt2nft
	install -D -m 0644 doc/completion/_recentctl     $(PKG)/usr/share/zsh/vendor-completions/_recentctl
	install -D -m 0644 packaging/debian/copyright $(PKG)/usr/share/doc/xt2nft/copyright
	gzip -9n < README.md > $(PKG)/usr/share/doc/xt2nft/README.md.gz
	install -d $(PKG)/DEBIAN
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(ARCH)/' \
	    -e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(PKG) | cut -f1)/" packaging/debian/control > $(PKG)/DEBIAN/control
	fakeroot dpkg-deb --build -Zxz $(PKG) build/xt2nft_$(VERSION)_$(ARCH).deb
	@ls -l build/xt2nft_$(VERSION)_$(ARCH).deb

clean:
	rm -rf build

# Install the package on this machine, run it, remove it again (CI).
check-deb: deb
	dpkg -i build/xt2nft_$(VERSION)_$(ARCH).deb
	xt2nft --version
	recentctl --version
	xt2nft golden/scenario-5-dump/input.rules > /dev/null
	man -w xt2nft recentctl
	test -f /usr/share/bash-completion/completions/xt2nft
	dpkg -r xt2nft
