// SPDX-License-Identifier: GPL-2.0
/*
 * mkey-agent: opens the dm-mkey volumes of /etc/mkeytab at boot
 * (docs/boot.md, mkey-agent(8)).
 *
 *   mkey-agent unlock NAME       one volume (the generated mkey@NAME.service)
 *   mkey-agent boot [--initramfs] every volume without noauto (the initramfs,
 *                                or systems without the generator)
 *   mkey-agent close NAME        remove the mapping (ExecStop=)
 *   mkey-agent list [--initramfs] the volumes and how their key files open
 *   mkey-agent check             check /etc/mkeytab, key files, settings
 *   mkey-agent probe DEVICE      udev: MKEY_VOLUME_UUID=... of a labelled device
 *   mkey-generator DIR...        the systemd generator (same program)
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "agent.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"
#include "mkey/kmip.h"
#include "mkey/label.h"
#include "mkey/startup.h"
#include "mkey/volume.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mkey-agent COMMAND [OPTIONS]\n"
		"\n"
		"Opens the dm-mkey volumes listed in /etc/mkeytab (see mkeytab(5)).\n"
		"\n"
		"Commands:\n"
		"  unlock NAME        open one volume: activate its key file's keys (unattended\n"
		"                     or asking an administrator) and map /dev/mapper/NAME\n"
		"  boot               open every volume without 'noauto'\n"
		"  close NAME         remove the mapping /dev/mapper/NAME\n"
		"  list               the volumes, their key files and startup settings\n"
		"  check              check /etc/mkeytab, startup.conf, key files and secrets\n"
		"  probe DEVICE       print MKEY_VOLUME_UUID=... when DEVICE holds a volume (udev)\n"
		"\n"
		"Options:\n"
		"  --initramfs        (boot, list) only the volumes needed in the initramfs:\n"
		"                     option 'initramfs', or mounted on / or /usr by fstab;\n"
		"                     boot: ask on the console, log to the kernel log too\n"
		"  --tab FILE         the volume table (default /etc/mkeytab)\n"
		"  --confdir DIR      the configuration directory (default /etc/mkey)\n"
		"  --prompt METHOD    auto, tty, console, ask-password or plymouth\n"
		"  --device-timeout S seconds to wait for a device (default 30; unlock 10)\n"
		"  --version, --help\n"
		"\n"
		"Exit status: 0 success, 1 a volume was not opened, 2 usage, 3 configuration errors.\n");
}

/* Key material must never end up in a core file. */
static int no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	return 0;
}

/* Is /dev/mapper/NAME the source of / or /usr in /etc/fstab? */
static bool mounted_early(const char *name)
{
	char line[4096], want[PATH_MAX], alt[PATH_MAX];
	FILE *f = fopen("/etc/fstab", "re");
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "/dev/mapper/%s", name);
	snprintf(alt, sizeof(alt), "/dev/disk/by-id/dm-name-%s", name);
	while (!found && fgets(line, sizeof(line), f)) {
		char src[PATH_MAX], dir[PATH_MAX];

		if (sscanf(line, " %4095s %4095s", src, dir) != 2 || src[0] == '#')
			continue;
		if ((!strcmp(dir, "/") || !strcmp(dir, "/usr")) &&
		    (!strcmp(src, want) || !strcmp(src, alt)))
			found = true;
	}
	fclose(f);
	return found;
}

static bool wanted(const struct mkey_tab_entry *e, bool initramfs)
{
	if (!initramfs)
		return true;
	return e->initramfs || mounted_early(e->name);
}

static int load_tab(const struct agent *ag, struct mkey_tab **tab, bool report)
{
	int ret = mkey_tab_load(ag->tab_path, tab);

	if (ret < 0) {
		log_err("cannot read %s: %s", ag->tab_path, strerror(-ret));
		return ret;
	}
	if (report)
		for (int i = 0; i < (*tab)->n_errors; i++)
			log_err("%s (the volume is left out)", (*tab)->errors[i]);
	return 0;
}

static int required_note(const struct mkey_tab_entry *e)
{
	if (e->required)
		log_err("volume %s is required (option 'required' in /etc/mkeytab): the system "
			"cannot run without it and goes to emergency mode. Fix the cause above, "
			"then run 'mkey-agent unlock %s' and 'systemctl default'.",
			e->name, e->name);
	return AGENT_FAILED;
}

static int cmd_unlock(struct agent *ag, const char *name)
{
	const struct mkey_tab_entry *e;
	struct mkey_tab *tab;
	int ret;

	if (load_tab(ag, &tab, false) < 0)
		return AGENT_CONFIG;
	e = mkey_tab_find(tab, name);
	if (!e) {
		for (int i = 0; i < tab->n_errors; i++)
			log_err("%s", tab->errors[i]);
		log_err("no volume %s in %s", name, ag->tab_path);
		mkey_tab_free(tab);
		return AGENT_USAGE;
	}
	ret = unlock_volume(ag, e);
	if (ret < 0)
		ret = required_note(e);
	mkey_tab_free(tab);
	return ret < 0 ? AGENT_FAILED : ret;
}

static int cmd_boot(struct agent *ag, bool initramfs)
{
	struct mkey_tab *tab;
	int failed = 0, opened = 0, n = 0, bad_lines;

	if (load_tab(ag, &tab, true) < 0)
		return AGENT_CONFIG;
	for (int i = 0; i < tab->n_entries; i++) {
		const struct mkey_tab_entry *e = &tab->entries[i];

		if (e->noauto || !wanted(e, initramfs))
			continue;
		n++;
		if (unlock_volume(ag, e) < 0) {
			if (e->nofail)
				log_warn("volume %s is not open (nofail: the boot goes on)", e->name);
			else {
				failed++;
				required_note(e);
			}
		} else {
			opened++;
		}
	}
	if (n)
		log_info("%d of %d volume%s open%s", opened, n, n == 1 ? "" : "s",
			 initramfs ? " in the initramfs" : "");
	bad_lines = tab->n_errors;
	mkey_tab_free(tab);
	return failed ? AGENT_FAILED : bad_lines ? AGENT_CONFIG : AGENT_OK;
}

static int cmd_close(const char *name)
{
	int ret;

	mkey_error_clear();
	ret = mkey_volume_close(name);
	if (ret == -ENXIO) {
		log_info("volume %s is not open", name);
		return AGENT_OK;
	}
	if (ret < 0) {
		log_err("cannot close /dev/mapper/%s: %s%s%s%s", name, mkey_strerror(ret),
			*mkey_error_detail() ? " (" : "", mkey_error_detail(),
			*mkey_error_detail() ? ")" : "");
		return AGENT_FAILED;
	}
	log_notice("volume %s closed", name);
	return AGENT_OK;
}

/* udev IMPORT{program}: KEY=value lines, nothing when there is no volume. */
static int cmd_probe(const char *dev)
{
	struct mkey_label_read lr;
	char uuid[MKEY_GUID_STR_LEN + 1], guid[MKEY_GUID_STR_LEN + 1];

	if (mkey_label_read_path(dev, &lr) < 0)
		return AGENT_OK;
	mkey_guid_format(&lr.label.volume_uuid, uuid);
	mkey_guid_format(&lr.label.key_guid, guid);
	printf("MKEY_VOLUME_UUID=%s\nMKEY_KEY_GUID=%s\nMKEY_LABEL_COPY=%s\n", uuid, guid,
	       mkey_label_copy_name(lr.used));
	return AGENT_OK;
}

/*
 * One line per volume, tab-separated, for scripts (the initramfs hook):
 * NAME DEVICE KEY-FILE STARTUP SECRET OPTIONS, "-" for no secret.
 */
static int cmd_list(struct agent *ag, bool initramfs)
{
	struct mkey_tab *tab;
	int ret = AGENT_OK;

	if (load_tab(ag, &tab, true) < 0)
		return AGENT_CONFIG;
	for (int i = 0; i < tab->n_entries; i++) {
		const struct mkey_tab_entry *e = &tab->entries[i];
		struct mkey_keyfile *kf = NULL;
		struct mkey_startup st;
		char secret[PATH_MAX] = "-", opts[128];

		if (!wanted(e, initramfs))
			continue;
		if (e->kmip_server[0]) {
			mkey_tab_options_text(e, opts, sizeof(opts));
			printf("%s\t%s\tkmip:%s\tkmip\t-\t%s\n", e->name, e->device,
			       e->kmip_server, opts);
			continue;
		}
		if (mkey_startup_get(ag->confdir, e->key_file, &st) < 0) {
			log_err("%s", mkey_error_detail());
			ret = AGENT_CONFIG;
			continue;
		}
		if (st.mode == MKEY_STARTUP_UNATTENDED && mkey_keyfile_load(e->key_file, &kf) == 0)
			mkey_unattended_secret_path(ag->confdir, mkey_keyfile_id(kf), secret,
						    sizeof(secret));
		mkey_keyfile_free(kf);
		mkey_tab_options_text(e, opts, sizeof(opts));
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", e->name, e->device, e->key_file,
		       mkey_startup_mode_name(st.mode), secret, opts);
	}
	if (tab->n_errors)
		ret = AGENT_CONFIG;
	mkey_tab_free(tab);
	return ret;
}

/* check for a kmip:SERVER volume: the definition loads; 1 if not. */
static int check_kmip(const struct agent *ag, const struct mkey_tab_entry *e, const char *opts)
{
	struct mkey_kmip_config *cfg = NULL;
	char dir[PATH_MAX];
	int ret;

	printf("%s: device %s, key on the KMIP servers of %s, options %s\n", e->name,
	       e->device, e->kmip_server, opts);
	snprintf(dir, sizeof(dir), "%s/kmip", ag->confdir);
	mkey_error_clear();
	ret = mkey_kmip_config_load(dir, e->kmip_server, &cfg);
	if (ret < 0)
		printf("  error: KMIP server definition %s/%s.conf: %s\n", dir, e->kmip_server,
		       *mkey_error_detail() ? mkey_error_detail() : strerror(-ret));
	else
		printf("  startup: fetched from KMIP (%s)\n", cfg->path);
	mkey_kmip_config_free(cfg);
	return ret < 0;
}

static int cmd_check(struct agent *ag)
{
	struct mkey_tab *tab;
	int problems = 0;

	if (load_tab(ag, &tab, false) < 0)
		return AGENT_CONFIG;
	for (int i = 0; i < tab->n_errors; i++) {
		printf("error: %s\n", tab->errors[i]);
		problems++;
	}
	printf("%s: %d volume%s\n", ag->tab_path, tab->n_entries, tab->n_entries == 1 ? "" : "s");
	for (int i = 0; i < tab->n_entries; i++) {
		const struct mkey_tab_entry *e = &tab->entries[i];
		struct mkey_keyfile *kf = NULL;
		struct mkey_secbuf *secret = NULL;
		struct mkey_startup st;
		char opts[128], path[PATH_MAX];
		int ret;

		mkey_tab_options_text(e, opts, sizeof(opts));
		if (e->kmip_server[0]) {
			problems += check_kmip(ag, e, opts);
			continue;
		}
		printf("%s: device %s, key file %s, options %s\n", e->name, e->device,
		       e->key_file, opts);
		mkey_error_clear();
		ret = mkey_keyfile_load(e->key_file, &kf);
		if (ret < 0) {
			printf("  error: key file %s: %s\n", e->key_file,
			       ret == -ENOENT ? "missing" : *mkey_error_detail() ?
			       mkey_error_detail() : mkey_strerror(ret));
			problems++;
			continue;
		}
		mkey_error_clear();
		if (mkey_startup_get(ag->confdir, e->key_file, &st) < 0) {
			printf("  error: %s\n", mkey_error_detail());
			problems++;
		} else if (st.mode == MKEY_STARTUP_UNATTENDED) {
			mkey_unattended_secret_path(ag->confdir, mkey_keyfile_id(kf), path,
						    sizeof(path));
			mkey_error_clear();
			ret = mkey_unattended_secret_read(path, &secret);
			if (ret < 0) {
				printf("  error: unattended secret %s: %s\n", path,
				       ret == -ENOENT ? "missing" : *mkey_error_detail() ?
				       mkey_error_detail() : strerror(-ret));
				problems++;
			} else if (mkey_keyfile_admin_find(kf, st.admin) < 0) {
				printf("  error: key file %s has no administrator %s\n",
				       e->key_file, st.admin);
				problems++;
			} else {
				printf("  startup: unattended (administrator %s, secret %s)\n",
				       st.admin, path);
			}
			mkey_secbuf_free(secret);
		} else {
			printf("  startup: %s%s\n", mkey_startup_mode_name(st.mode),
			       st.listed ? "" : " (the default)");
		}
		mkey_keyfile_free(kf);
	}
	mkey_tab_free(tab);
	if (problems)
		printf("%d problem%s\n", problems, problems == 1 ? "" : "s");
	return problems ? AGENT_CONFIG : AGENT_OK;
}

static int parse_prompt(const char *s, enum prompt_method *m)
{
	static const struct { const char *name; enum prompt_method m; } names[] = {
		{ "auto", PROMPT_AUTO }, { "tty", PROMPT_TTY }, { "console", PROMPT_CONSOLE },
		{ "ask-password", PROMPT_ASK_PASSWORD }, { "plymouth", PROMPT_PLYMOUTH },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*m = names[i].m;
			return 0;
		}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	enum { OPT_INITRAMFS = 1000, OPT_TAB, OPT_CONFDIR, OPT_PROMPT, OPT_TIMEOUT, OPT_VERSION };
	static const struct option longopts[] = {
		{ "initramfs", no_argument, NULL, OPT_INITRAMFS },
		{ "tab", required_argument, NULL, OPT_TAB },
		{ "confdir", required_argument, NULL, OPT_CONFDIR },
		{ "prompt", required_argument, NULL, OPT_PROMPT },
		{ "device-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent ag = {
		.tab_path = MKEY_TAB_PATH,
		.confdir = MKEY_CONF_DIR,
		.prompt = PROMPT_AUTO,
		.tty = "/dev/console",
	};
	bool initramfs = false, timeout_given = false;
	const char *cmd;
	char *base = basename(argv[0]);
	int c;

	if (no_core_dumps() < 0) {
		fprintf(stderr, "mkey-agent: cannot disable core dumps: %s\n", strerror(errno));
		return AGENT_FAILED;
	}
	if (!strcmp(base, "mkey-generator"))
		return generator_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return AGENT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return AGENT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("mkey-agent %s\n", MKEY_VERSION);
		return AGENT_OK;
	}
	if (!strcmp(cmd, "generator"))
		return generator_main(argc - 1, argv + 1);
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_INITRAMFS:
			initramfs = true;
			break;
		case OPT_TAB:
			ag.tab_path = optarg;
			break;
		case OPT_CONFDIR:
			ag.confdir = optarg;
			break;
		case OPT_PROMPT:
			if (parse_prompt(optarg, &ag.prompt) < 0) {
				fprintf(stderr, "mkey-agent: unknown --prompt '%s' (auto, tty, console, "
					"ask-password, plymouth)\n", optarg);
				return AGENT_USAGE;
			}
			break;
		case OPT_TIMEOUT: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || v > 3600) {
				fprintf(stderr, "mkey-agent: --device-timeout takes 0..3600 seconds\n");
				return AGENT_USAGE;
			}
			ag.device_timeout = (unsigned int)v;
			timeout_given = true;
			break;
		}
		case OPT_VERSION:
			printf("mkey-agent %s\n", MKEY_VERSION);
			return AGENT_OK;
		case 'h':
			usage(stdout);
			return AGENT_OK;
		default:
			usage(stderr);
			return AGENT_USAGE;
		}
	}
	if (!timeout_given)
		ag.device_timeout = !strcmp(cmd, "unlock") ? 10 : 30;
	mkey_dm_set_verbose(false);

	if (!strcmp(cmd, "unlock") || !strcmp(cmd, "close") || !strcmp(cmd, "probe")) {
		if (argc - optind != 1) {
			fprintf(stderr, "mkey-agent: %s takes one argument (see --help)\n", cmd);
			return AGENT_USAGE;
		}
		if (!strcmp(cmd, "unlock"))
			return cmd_unlock(&ag, argv[optind]);
		if (!strcmp(cmd, "close"))
			return cmd_close(argv[optind]);
		return cmd_probe(argv[optind]);
	}
	if (argc != optind) {
		fprintf(stderr, "mkey-agent: unexpected argument '%s' (see --help)\n", argv[optind]);
		return AGENT_USAGE;
	}
	if (!strcmp(cmd, "boot")) {
		if (initramfs) {
			ag.initramfs = true;
			log_to_kmsg = true;
		}
		return cmd_boot(&ag, initramfs);
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(&ag, initramfs);
	if (!strcmp(cmd, "check"))
		return cmd_check(&ag);
	fprintf(stderr, "mkey-agent: unknown command '%s' (see --help)\n", cmd);
	return AGENT_USAGE;
}
