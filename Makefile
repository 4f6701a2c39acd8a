# SPDX-License-Identifier: GPL-2.0
# dm-mkey: managed-key encryption for Linux block devices.
#
#   make              build kernel/dm-mkey.ko and all userspace programs
#   make module       only the module (KVER=..., KDIR=...)
#   make check        every test: build, unit (+ASan/UBSan), static analysis,
#                     dkms, VM system tests; TESTS="vm/t-smoke unit" runs a subset
#   make demo         a demo of the main job in a throwaway VM
#   make bench        dm-mkey vs dm-crypt benchmark in the VM
#   make stress       the reliability VM tests at 10x their make check size
#                     (STRESS_SCALE=N; docs/reliability.md)
#   make install      install binaries, module, man pages, docs
#                     (DESTDIR, PREFIX, KVER honoured); make uninstall undoes it
#   make dkms-install register the module source with DKMS, build and install
#   make fuzz         run the libFuzzer harnesses for FUZZ_TIME seconds each
#                     (FUZZ_RUNS=N: N executions each; make fuzz-campaign:
#                     the 10-million-execution campaign, docs/reliability.md)
#   make deps         install the Debian packages the project needs
#   make vm-shell     an interactive shell in the test VM
#
# KVER/KDIR select the kernel to build the module for. The default is the
# running kernel (real installs); the tests, the demo and the benchmark build
# for the installed Debian kernel instead (scripts/debian-kver.sh).

VERSION   := 0.1.0
KVER      ?= $(shell uname -r)
KDIR      ?= /lib/modules/$(KVER)/build
BUILD     ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
TESTS     ?=
FUZZ_TIME ?= 60

CC        ?= cc
CFLAGS    ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
USER_CPPFLAGS := -D_GNU_SOURCE -Iagent/include -Iagent/lib \
                 -DMKEY_VERSION='"$(VERSION)"'
USER_CFLAGS   := -std=gnu11 $(WARNFLAGS) -fstack-protector-strong \
                 -D_FORTIFY_SOURCE=2 $(CFLAGS)

# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:

.PHONY: all module user clean deps check bench demo install uninstall fuzz \
        dkms-install dkms-uninstall test-build vm-shell stress

all: module user

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "make: no kernel build tree at $(KDIR) (KVER=$(KVER))." >&2; \
		echo "make: install linux-headers-$(KVER), or pass KVER=/KDIR= for another kernel;" >&2; \
		echo "make: the tests build for the Debian kernel: make module KVER=\$$(scripts/debian-kver.sh)" >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Userspace fragments: each defines its sources and adds its outputs to
# USER_TARGETS; fuzz harnesses go in FUZZ_TARGETS.
USER_TARGETS :=
FUZZ_TARGETS :=
-include agent/lib/Makefile.inc
-include agent/src/Makefile.inc
-include tools/mkey/Makefile.inc
-include tests/unit/Makefile.inc
-include tests/vm/Makefile.inc
-include tests/fuzz/Makefile.inc

user: $(USER_TARGETS)

deps:
	@scripts/install-deps.sh

# The module for the Debian kernel the VM boots, and the userspace programs.
test-build:
	$(MAKE) module KVER=$$(scripts/debian-kver.sh)
	$(MAKE) user

check: deps
	@tests/run-all.sh $(TESTS)

demo: deps test-build
	tests/vm/run.sh demo

bench: deps test-build
	@if [ ! -x tests/bench/run.sh ]; then \
		echo "make bench: tests/bench/run.sh does not exist yet" >&2; exit 1; \
	fi
	tests/bench/run.sh

vm-shell: deps test-build
	tests/vm/run.sh --shell

# The t-stress-*, t-fault-* and t-secrets-* VM tests, STRESS_SCALE (10) times
# bigger than in make check; prints their figures (docs/reliability.md).
stress: deps test-build
	tests/vm/stress.sh

# ---------------------------------------------------------------- fuzzing
# Each entry of FUZZ_TARGETS is a libFuzzer binary; it runs FUZZ_TIME seconds
# (or FUZZ_RUNS executions, whichever ends first) on a corpus under
# $(BUILD)/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME.
fuzz: $(FUZZ_TARGETS)
	@if [ -z "$(strip $(FUZZ_TARGETS))" ]; then \
		echo "fuzz: no fuzz harnesses yet (FUZZ_TARGETS is empty)"; exit 0; \
	fi; \
	set -e; for t in $(FUZZ_TARGETS); do \
		n=$$(basename "$$t"); seed=tests/fuzz/corpus/$$n; \
		mkdir -p "$(BUILD)/fuzz/corpus/$$n"; \
		echo "fuzz: $$n for $(FUZZ_TIME)s"; \
		"$$t" -max_total_time=$(FUZZ_TIME) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) \
			"$(BUILD)/fuzz/corpus/$$n" $$([ -d "$$seed" ] && echo "$$seed"); \
	done

# ---------------------------------------------------------------- install
SBIN_PROGS := $(BUILD)/mkey $(BUILD)/mkey-agent
MODDIR     := $(DESTDIR)/lib/modules/$(KVER)/updates
SBINDIR    := $(DESTDIR)$(PREFIX)/sbin
MAN8DIR    := $(DESTDIR)$(PREFIX)/share/man/man8
DOCDIR     := $(DESTDIR)$(PREFIX)/share/doc/dm-mkey
MAN5DIR    := $(DESTDIR)$(PREFIX)/share/man/man5
# Boot integration (boot/, docs/boot.md). systemd and udev also read
# /usr/local/lib; initramfs-tools reads only /usr/share/initramfs-tools
# (packages) and /etc/initramfs-tools (the administrator's).
UNITDIR      := $(DESTDIR)$(PREFIX)/lib/systemd/system
GENERATORDIR := $(DESTDIR)$(PREFIX)/lib/systemd/system-generators
UDEVRULESDIR := $(DESTDIR)$(PREFIX)/lib/udev/rules.d
INITRAMFSDIR := $(DESTDIR)$(if $(filter /usr,$(PREFIX)),/usr/share,/etc)/initramfs-tools
BOOT_SUBST   := sed 's|@SBINDIR@|$(PREFIX)/sbin|g'

install: all
	install -d "$(SBINDIR)"
	@set -e; for p in $(SBIN_PROGS); do \
		if [ -f "$$p" ]; then echo "install -m 0755 $$p $(SBINDIR)/"; \
			install -m 0755 "$$p" "$(SBINDIR)/"; \
		else echo "install: $$p is not built (not part of this tree yet); skipped" >&2; fi; \
	done
	install -D -m 0644 kernel/dm-mkey.ko "$(MODDIR)/dm-mkey.ko"
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KVER)"; depmod -a "$(KVER)"; fi
	@set -e; for m in $(wildcard docs/man/*.8); do \
		install -D -m 0644 "$$m" "$(MAN8DIR)/$$(basename "$$m")"; done
	install -d "$(DOCDIR)"
	install -m 0644 README.md $(wildcard docs/*.md) "$(DOCDIR)/"
	@set -e; for m in $(wildcard docs/man/*.5); do \
		install -D -m 0644 "$$m" "$(MAN5DIR)/$$(basename "$$m")"; done
	install -m 0644 boot/mkeytab.example "$(DOCDIR)/"
	install -D -m 0644 boot/systemd/mkey.target "$(UNITDIR)/mkey.target"
	install -d "$(GENERATORDIR)" "$(UDEVRULESDIR)" "$(INITRAMFSDIR)/hooks" \
		"$(INITRAMFSDIR)/scripts/local-top"
	ln -sfn "$$(realpath -m --relative-to="$(GENERATORDIR)" "$(SBINDIR)/mkey-agent")" \
		"$(GENERATORDIR)/mkey-generator"
	$(BOOT_SUBST) boot/udev/61-mkey.rules.in >"$(UDEVRULESDIR)/61-mkey.rules"
	$(BOOT_SUBST) boot/initramfs-tools/hooks/mkey.in >"$(INITRAMFSDIR)/hooks/mkey"
	chmod 0644 "$(UDEVRULESDIR)/61-mkey.rules"
	chmod 0755 "$(INITRAMFSDIR)/hooks/mkey"
	install -m 0755 boot/initramfs-tools/scripts/local-top/mkey \
		"$(INITRAMFSDIR)/scripts/local-top/mkey"
	@if [ -z "$(DESTDIR)" ]; then \
		echo "install: now 'systemctl daemon-reload', 'udevadm control --reload' and," \
			"when /etc/mkeytab has initramfs volumes, 'update-initramfs -u' (docs/boot.md)"; fi

uninstall:
	rm -f $(addprefix "$(SBINDIR)"/,$(notdir $(SBIN_PROGS)))
	rm -f "$(MODDIR)/dm-mkey.ko"
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KVER)"; depmod -a "$(KVER)"; fi
	rm -f $(addprefix "$(MAN8DIR)"/,$(notdir $(wildcard docs/man/*.8)))
	rm -f $(addprefix "$(MAN5DIR)"/,$(notdir $(wildcard docs/man/*.5)))
	rm -rf "$(DOCDIR)"
	rm -f "$(UNITDIR)/mkey.target" "$(GENERATORDIR)/mkey-generator" \
		"$(UDEVRULESDIR)/61-mkey.rules" "$(INITRAMFSDIR)/hooks/mkey" \
		"$(INITRAMFSDIR)/scripts/local-top/mkey"

# ---------------------------------------------------------------- DKMS
DKMS_SRC := $(DESTDIR)/usr/src/dm-mkey-$(VERSION)

dkms-install:
	rm -rf "$(DKMS_SRC)"
	scripts/dkms-stage.sh "$(DKMS_SRC)"
	dkms add -m dm-mkey -v $(VERSION)
	dkms build -m dm-mkey -v $(VERSION) -k $(KVER)
	dkms install -m dm-mkey -v $(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m dm-mkey -v $(VERSION) --all
	rm -rf "$(DKMS_SRC)"

# ---------------------------------------------------------------- misc
clean:
	@kdir="$(KDIR)"; \
	[ -d "$$kdir" ] || kdir=/lib/modules/$$(scripts/debian-kver.sh 2>/dev/null)/build; \
	if [ -d "$$kdir" ]; then $(MAKE) -C "$$kdir" M=$(CURDIR) clean; fi
	rm -rf $(BUILD)

# make print-VAR: the value of a make variable (the test scripts ask for
# UNIT_TEST_BINS, VM_GUEST_BINS, USER_TARGETS, VERSION this way).
print-%:
	@printf '%s\n' '$(strip $($*))'
