# SPDX-License-Identifier: GPL-2.0
# dm-mkey: managed-key encryption for Linux block devices.
#
#   make              build kernel/dm-mkey.ko and all userspace programs
#   make check        every test: unit (+ASan/UBSan), static analysis, dkms, VM
#   make demo         a demo in a throwaway VM
#   make bench        dm-mkey vs dm-crypt benchmark in the VM
#   make install      install binaries, module, docs (DESTDIR, PREFIX honoured)
#   make deps         install the Debian packages the project needs
#
# KVER/KDIR select the kernel to build the module for. The default is the
# running kernel (real installs); the tests use the installed Debian kernel.

VERSION   := 0.1.0
KVER      ?= $(shell uname -r)
KDIR      ?= /lib/modules/$(KVER)/build
BUILD     ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=

CC        ?= cc
CFLAGS    ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
USER_CPPFLAGS := -D_GNU_SOURCE -Iagent/include -Iagent/lib \
                 -DMKEY_VERSION='"$(VERSION)"'
USER_CFLAGS   := -std=gnu11 $(WARNFLAGS) -fstack-protector-strong \
                 -D_FORTIFY_SOURCE=2 $(CFLAGS)

.PHONY: all module user clean deps check bench demo install fuzz
all: module user

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Userspace fragments: each defines its sources and adds its outputs to USER_TARGETS.
USER_TARGETS :=
-include agent/lib/Makefile.inc
-include agent/src/Makefile.inc
-include tools/mkey/Makefile.inc
-include tests/unit/Makefile.inc
-include tests/vm/Makefile.inc

user: $(USER_TARGETS)

deps:
	scripts/install-deps.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(BUILD)
