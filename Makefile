# shakeoff - TCP handshake offload (XDP SYN cookies + TC bpf_sk_assign_tcp_reqsk)
#
# make          build build/shakeoff (the CLI, BPF object embedded); installs nothing
# make deps     install the Debian packages that build, test, demo and bench need
# make test     unit tests (BPF_PROG_RUN) and namespace tests; ends "N passed, N failed"
# make demo     two namespaces, a veth pair, a real client and server, stats shown
# make bench    SYN-flood benchmark against the kernel's own defences
# make fuzz     libFuzzer on the XDP and TC programs, FUZZ_SECONDS (default 60)
# make install  binary, man page, bash completion, systemd units (PREFIX, DESTDIR)
# make docs     regenerate man/shakeoff.8 and the README's CLI section from the CLI
# make vmtest   the tests inside Debian's kernels under qemu, KERNELS (default "6.1 6.12")
# V=1           show full commands

O       ?= build
CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= gcc
PYTHON  ?= /usr/bin/python3
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# UAPI headers from linux-libc-dev suffice for parsing; the two kernel-internal
# things the kfunc needs (struct sock, struct bpf_tcp_req_attrs) are declared in
# bpf/kfuncs.h, and the CLI checks the latter against the kernel's BTF.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -I/usr/include/$(MULTIARCH)
USER_CFLAGS := -g -O2 -Wall -Wextra -Werror -std=gnu11 -Iinclude -I$(O)
USER_LDLIBS := -lxdp -lbpf -lelf -lz

# the exporter's HTTP (libmicrohttpd-dev); the CLI alone links it
HTTP_LDLIBS := -lmicrohttpd

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages: build (clang llvm bpftool libbpf-dev libelf-dev, libxdp-dev
# for attach --multiprog; xdp-tools' xdp-filter shares an interface in its test), tests and
# demo (iproute2 nftables ethtool curl apache2-utils netcat-openbsd python3
# python3-scapy; nginx-light for test_servers; python3-prometheus-client
# parses the exporter's text and man-db renders the man page), bench
# (util-linux's taskset and nsenter, and linux-perf for BENCH_PROFILE=1;
# rt-tests' cyclictest for the stalls of a big table), fuzz
# (libclang-rt-14-dev: libFuzzer and ASan for clang 14).
DEB_PKGS := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libxdp-dev xdp-tools pkg-config gcc make \
	iproute2 nftables ethtool curl apache2-utils netcat-openbsd python3 python3-scapy \
	nginx-light procps psmisc linux-perf libclang-rt-14-dev python3-prometheus-client man-db rt-tests

# Watching: the exporter's HTTP (libmicrohttpd-dev), a real Prometheus server
# and promtool for test_prometheus (prometheus), bench.svg (python3-matplotlib).
DEB_PKGS += libmicrohttpd-dev prometheus python3-matplotlib

# Events: tcpdump reads the drop samples' pcapng (test_drops).
DEB_PKGS += tcpdump

BPF_SRC  := bpf/shakeoff.bpf.c
BPF_HDRS := $(wildcard bpf/*.h) include/shakeoff.h
# user/lib: the CLI's library (parsing, options, pins, maps, JSON...), built
# once into $(O)/libshakeoff.a; user/cmd: one file per command; user/main.c:
# the command table and dispatch. tests/cli: root-free tests of the library.
LIB_SRC  := $(wildcard user/lib/*.c)
LIB_OBJS := $(patsubst user/lib/%.c,$(O)/user/lib/%.o,$(LIB_SRC))
CMD_SRC  := user/main.c $(wildcard user/cmd/*.c)
USER_HDRS := $(wildcard user/lib/*.h) include/shakeoff.h
CLI_TEST_SRC := $(wildcard tests/cli/*.c)
CLI_TEST_HDRS := $(wildcard tests/cli/*.h)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_HDRS := $(wildcard tests/unit/*.h) include/shakeoff.h

.PHONY: all deps buildcheck test unit netns demo bench fuzz clean help install docs vmtest
.DELETE_ON_ERROR:
.SECONDARY:

all: $(O)/shakeoff

help:
	@sed -n 's/^# \{0,1\}//p' Makefile | sed -n '1,12p'

# apt_install PKGS: install those of PKGS that dpkg does not know yet.
apt_install = missing=; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    $$missing"; \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null; \
	fi

$(O)/.deps: Makefile
	$(Q)mkdir -p $(O)
	$(Q)$(call apt_install,$(DEB_PKGS))
	$(Q)touch $@

deps: $(O)/.deps

# A plain make installs nothing: it checks that each build tool and library is
# there and stops at the first missing one with a sentence naming its Debian
# package. The goals below may install (make deps) first, as the README says.
ifneq ($(filter test demo bench fuzz vmtest,$(MAKECMDGOALS)),)
buildcheck: $(O)/.deps
endif
BUILD_REQ := buildcheck
# TOOL:PACKAGE; a versioned clang (CLANG=clang-19) is in the package of its name.
BUILD_TOOLS := $(CC):gcc $(BPFTOOL):bpftool \
	$(CLANG):$(if $(filter clang-%,$(notdir $(CLANG))),$(notdir $(CLANG)),clang)
# HEADER:PACKAGE; each -dev package has the library that the header goes with.
BUILD_HEADERS := linux/bpf.h:linux-libc-dev bpf/libbpf.h:libbpf-dev libelf.h:libelf-dev \
	zlib.h:zlib1g-dev xdp/libxdp.h:libxdp-dev microhttpd.h:libmicrohttpd-dev

buildcheck:
	$(Q)for t in $(BUILD_TOOLS); do \
		command -v "$${t%:*}" >/dev/null 2>&1 && continue; \
		echo "make: $${t%:*} not found: install the Debian package $${t##*:} (make deps installs it)" >&2; \
		exit 1; \
	done; \
	for h in $(BUILD_HEADERS); do \
		printf '#include <%s>\n' "$${h%:*}" | $(CC) -E -x c - -o /dev/null >/dev/null 2>&1 && continue; \
		echo "make: the header $${h%:*} is missing: install the Debian package $${h##*:} (make deps installs it)" >&2; \
		exit 1; \
	done

$(O)/shakeoff.bpf.o: $(BPF_SRC) $(BPF_HDRS) | $(BUILD_REQ)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Every bpf/ header includes what it uses: each must compile on its own.
$(O)/.bpf-headers: $(BPF_HDRS) | $(O)/.deps
	$(call msg,CHECK,bpf/*.h alone)
	$(Q)for h in $(notdir $(wildcard bpf/*.h)); do \
		echo "#include \"$$h\"" | $(CLANG) $(BPF_CFLAGS) -Ibpf -fsyntax-only -x c - || \
			{ echo "bpf/$$h does not compile on its own"; exit 1; }; \
	done
	$(Q)touch $@

$(O)/shakeoff.skel.h: $(O)/shakeoff.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name shakeoff > $@

$(O)/user/lib/%.o: user/lib/%.c $(USER_HDRS) | $(BUILD_REQ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -iquote user/lib -c $< -o $@

$(O)/libshakeoff.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(O)/shakeoff: $(CMD_SRC) $(USER_HDRS) $(O)/libshakeoff.a $(O)/shakeoff.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -iquote user/lib $(CMD_SRC) $(O)/libshakeoff.a $(USER_LDLIBS) $(HTTP_LDLIBS) -o $@

# test_cli: the library's parsers on tables of input and expected result, no root;
# a table's rows leave the fields after the last one that matters zero.
$(O)/test_cli: $(CLI_TEST_SRC) $(CLI_TEST_HDRS) $(USER_HDRS) $(O)/libshakeoff.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Wno-missing-field-initializers -iquote user/lib -Itests/cli $(CLI_TEST_SRC) $(O)/libshakeoff.a $(USER_LDLIBS) -o $@

# the unit tests reach the key file's parser (user/lib/keyfile.c: no I/O, no log)
TEST_SRC += user/lib/keyfile.c user/lib/xdpmeta.c
TEST_HDRS += user/lib/keyfile.h user/lib/xdpmeta.h
$(O)/test_unit: $(TEST_SRC) $(TEST_HDRS) $(O)/shakeoff.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/unit -iquote user/lib $(TEST_SRC) $(USER_LDLIBS) -o $@

# test_load: every program of the BPF objects below must pass the verifier.
BPF_OBJS := $(O)/shakeoff.bpf.o $(O)/bench/bench.bpf.o $(O)/tests/xdp_pass.bpf.o

$(O)/test_load: tests/load/test_load.c user/lib/xdpmeta.c user/lib/xdpmeta.h include/shakeoff.h | $(BUILD_REQ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -iquote user/lib $(filter %.c,$^) $(USER_LDLIBS) -o $@

$(O)/tests/xdp_pass.bpf.o: tests/netns/xdp_pass.bpf.c | $(BUILD_REQ)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# the connection state names in their enum's order, from SO_CONN_STATES
# (include/shakeoff.h) by the preprocessor, for tests/lib.sh: the tests and
# the CLI name states from the same X-macro
TEST_GEN := $(O)/tests/conn_states
$(O)/tests/conn_states: include/shakeoff.h
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '#include <linux/types.h>\n#include "shakeoff.h"\n#define SO_X_NAME(id, name) name\nso_conn_states: SO_CONN_STATES(SO_X_NAME)\n' | \
		$(CC) -E -P -Iinclude -x c - | sed -n 's/^so_conn_states: //p' > $@
	$(Q)test -s $@

test: $(O)/shakeoff $(O)/test_cli $(O)/test_unit $(O)/bench/flood $(O)/bench/fill $(O)/test_load $(BPF_OBJS) \
	$(O)/.bpf-headers $(TEST_GEN)
	$(Q)tests/run.sh

# vmtest: tests/vm/vmtest.sh boots each kernel line of KERNELS (Debian's
# newest -amd64-unsigned image, fetched once into $(O)/vm) under qemu and runs
# the set of tests/vm/sets/LINE inside (everything with VMTEST_ALL=1). The BPF
# objects are also built with clang 19 in $(O)-clang19, and load-checked there.
KERNELS ?= 6.1 6.12
VM_PKGS := qemu-system-x86 busybox-static kmod clang-19 xz-utils zstd
O19 := $(O)-clang19

vmtest: $(O)/shakeoff $(O)/test_cli $(O)/test_unit $(O)/bench/flood $(O)/test_load $(BPF_OBJS) \
	$(TEST_GEN) $(O)/.vmdeps
	$(Q)$(MAKE) --no-print-directory O=$(O19) CLANG=clang-19 $(O19)/shakeoff.bpf.o \
		$(O19)/bench/bench.bpf.o $(O19)/tests/xdp_pass.bpf.o
	$(Q)O=$(O) O19=$(O19) tests/vm/vmtest.sh $(KERNELS)

$(O)/.vmdeps: Makefile | $(O)/.deps
	$(Q)$(call apt_install,$(VM_PKGS))
	$(Q)touch $@

# fuzz: tests/fuzz/fuzz_xdp.c over the unit tests' environment, with clang's
# libFuzzer and ASan; seeds are the unit tests' frames (test_unit
# --write-corpus), the corpus grows in $(O)/fuzz-corpus, findings land in
# $(O)/fuzz-artifacts. tests/fuzz/run_short.sh is the short run for make test.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-std=gnu11 -Iinclude -I$(O) -Itests/unit -iquote user/lib
FUZZ_SRC := tests/fuzz/fuzz_xdp.c tests/unit/env.c tests/unit/harness.c tests/unit/pktbuild.c \
	tests/unit/ref.c user/lib/keyfile.c user/lib/xdpmeta.c

$(O)/fuzz_xdp: $(FUZZ_SRC) $(TEST_HDRS) $(O)/shakeoff.skel.h
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRC) $(USER_LDLIBS) -o $@

fuzz: $(O)/fuzz_xdp $(O)/test_unit
	$(Q)O=$(O) tests/fuzz/fuzz.sh --name fuzz_xdp --seconds $(FUZZ_SECONDS) --keep

demo: $(O)/shakeoff
	$(Q)tests/demo.sh

# bench/: the reference XDP programs, the generator and benchctl.
BENCH_HDRS := bench/bench.h bench/frame.h

$(O)/bench/bench.bpf.o: bench/bench.bpf.c bench/bench.h | $(BUILD_REQ)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bench/bench.skel.h: $(O)/bench/bench.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bench > $@

$(O)/bench/flood: bench/flood.c $(BENCH_HDRS) | $(BUILD_REQ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@

$(O)/bench/fill: bench/fill.c include/shakeoff.h | $(BUILD_REQ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $< $(USER_LDLIBS) -o $@

$(O)/bench/benchctl: bench/benchctl.c $(BENCH_HDRS) include/shakeoff.h $(O)/bench/bench.skel.h \
		$(O)/shakeoff.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -I$(O)/bench $< $(USER_LDLIBS) -o $@

# bench.json is the result; bench/plot.py draws it (alone: plot.py FILE OUT.svg).
# BENCH_ONLY=tables: the table-size section alone (nothing to plot).
bench: $(O)/shakeoff $(O)/bench/flood $(O)/bench/benchctl $(O)/bench/fill
	$(Q)O=$(O) bench/run.sh
	$(Q)[ "$(BENCH_ONLY)" = tables ] || $(PYTHON) bench/plot.py $(O)/bench.json $(O)/bench.svg
	$(Q)[ "$(BENCH_ONLY)" = tables ] || O=$(O) bench/bulk.sh
	$(Q)[ "$(BENCH_ONLY)" = tables ] || O=$(O) bench/events.sh

# Installation. The man page is the committed man/shakeoff.8 (make docs
# regenerates it from the CLI); the units get the installed paths.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DATADIR    ?= $(PREFIX)/share/shakeoff
SYSCONFDIR ?= /etc
UNIT_SED   := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: $(O)/shakeoff
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(O)/shakeoff $(DESTDIR)$(SBINDIR)/shakeoff
	$(Q)install -D -m 0644 man/shakeoff.8 $(DESTDIR)$(MANDIR)/man8/shakeoff.8
	$(Q)install -D -m 0644 contrib/shakeoff.bash-completion $(DESTDIR)$(BASHCOMPDIR)/shakeoff
	$(Q)install -D -m 0644 contrib/grafana-dashboard.json $(DESTDIR)$(DATADIR)/grafana-dashboard.json
	$(Q)install -d $(DESTDIR)$(UNITDIR)
	$(Q)$(UNIT_SED) contrib/shakeoff@.service.in > $(DESTDIR)$(UNITDIR)/shakeoff@.service
	$(Q)$(UNIT_SED) contrib/shakeoff-exporter.service.in > $(DESTDIR)$(UNITDIR)/shakeoff-exporter.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/shakeoff@.service $(DESTDIR)$(UNITDIR)/shakeoff-exporter.service

# The manual and the README's CLI section, from the CLI's option tables.
CLI_BEGIN := <!-- BEGIN shakeoff --help-markdown (make docs writes this section) -->
CLI_END   := <!-- END shakeoff --help-markdown -->

docs: $(O)/shakeoff
	$(call msg,GEN,man/shakeoff.8 README.md)
	$(Q)$(O)/shakeoff --help-man > man/shakeoff.8
	$(Q)$(O)/shakeoff --help-markdown > $(O)/cli.md
	$(Q)sed -e '/^$(CLI_BEGIN)$$/,/^$(CLI_END)$$/{/^$(CLI_BEGIN)$$/{p;r $(O)/cli.md' -e '};/^$(CLI_END)$$/p;d}' \
		README.md > $(O)/README.md && cat $(O)/README.md > README.md

clean:
	$(call msg,CLEAN,$(O))
	$(Q)rm -rf $(O)
