// SPDX-License-Identifier: GPL-2.0
/*
 * Opening one volume of /etc/mkeytab: device, label, module, key file
 * (unattended secret or interactive prompt), activation, mapping.
 *
 * Every failure says which volume, which device or key file was expected
 * where, what was found instead, and what to do about it: at boot these
 * lines are all an operator has.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"
#include "mkey/keyring.h"
#include "mkey/kmip.h"
#include "mkey/label.h"
#include "mkey/startup.h"
#include "mkey/volume.h"

extern char **environ;

static const char *detail_or(const char *fallback)
{
	const char *d = mkey_error_detail();

	return d && *d ? d : fallback;
}

int ensure_module(void)
{
	static const char *const paths[] = {
		"/usr/sbin/modprobe", "/sbin/modprobe", "/usr/bin/modprobe", "/bin/modprobe", NULL,
	};
	const char *exe = NULL;
	char *argv[] = { NULL, "dm-mkey", NULL };
	int status;
	pid_t pid;

	if (access("/sys/module/dm_mkey", F_OK) == 0)
		return 0;
	for (int i = 0; paths[i] && !exe; i++)
		if (access(paths[i], X_OK) == 0)
			exe = paths[i];
	if (!exe) {
		log_err("the dm-mkey module is not loaded and modprobe was not found");
		return -ENOPKG;
	}
	argv[0] = (char *)exe;
	if (posix_spawn(&pid, exe, NULL, NULL, argv, environ) != 0) {
		log_err("cannot run %s dm-mkey: %s", exe, strerror(errno));
		return -ENOPKG;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (access("/sys/module/dm_mkey", F_OK) == 0)
		return 0;
	log_err("cannot load the dm-mkey module (modprobe dm-mkey failed): is it installed for "
		"this kernel? (make install, or make dkms-install)");
	return -ENOPKG;
}

/* Does the block device @path carry a dm-mkey label for @uuid? */
static bool has_volume(const char *path, const struct mkey_guid *uuid)
{
	struct mkey_label_read lr;

	if (mkey_label_read_path(path, &lr) < 0)
		return false;
	return mkey_guid_equal(&lr.label.volume_uuid, uuid);
}

int find_volume_by_uuid(const struct mkey_guid *uuid, char *buf, size_t len)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/block");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX], attr[PATH_MAX + 64], dmuuid[160] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, "ram", 3) || !strncmp(de->d_name, "zram", 4) ||
		    !strncmp(de->d_name, "sr", 2) || !strncmp(de->d_name, "fd", 2))
			continue;
		/* Our own mappings carry the UUID in their dm uuid, not a label. */
		snprintf(attr, sizeof(attr), "/sys/class/block/%s/dm/uuid", de->d_name);
		f = fopen(attr, "re");
		if (f) {
			if (!fgets(dmuuid, sizeof(dmuuid), f))
				dmuuid[0] = 0;
			fclose(f);
			if (!strncmp(dmuuid, MKEY_DM_UUID_PREFIX, strlen(MKEY_DM_UUID_PREFIX)))
				continue;
		}
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (has_volume(path, uuid)) {
			snprintf(buf, len, "%s", path);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The volume's block device, waiting up to device_timeout seconds. */
static int wait_device(const struct agent *ag, const struct mkey_tab_entry *e,
		       char *dev, size_t len)
{
	double deadline = now() + ag->device_timeout;
	char link[PATH_MAX], uuid[MKEY_GUID_STR_LEN + 1];
	bool said = false;
	struct stat st;

	mkey_tab_device_path(e, link, sizeof(link));
	for (;;) {
		if (stat(link, &st) == 0) {
			if (!S_ISBLK(st.st_mode)) {
				log_err("volume %s: %s is not a block device", e->name, link);
				return -ENOTBLK;
			}
			snprintf(dev, len, "%s", link);
			return 0;
		}
		/* Without our udev rule (the initramfs) the link never comes: look. */
		if (e->by_uuid && find_volume_by_uuid(&e->volume_uuid, dev, len) == 0)
			return 0;
		if (now() >= deadline)
			break;
		if (!said && ag->device_timeout > 1) {
			log_info("volume %s: waiting up to %us for %s", e->name,
				 ag->device_timeout, e->device);
			said = true;
		}
		usleep(250 * 1000);
	}
	mkey_guid_format(&e->volume_uuid, uuid);
	if (e->by_uuid)
		log_err("volume %s: no device holds the dm-mkey volume %s (%s line %u); "
			"the volume stays closed. Is the disk attached? 'mkey dump DEVICE' "
			"shows a device's volume UUID.",
			e->name, uuid, ag->tab_path, e->line);
	else
		log_err("volume %s: device %s does not exist (%s line %u); the volume stays closed",
			e->name, e->device, ag->tab_path, e->line);
	return -ENODEV;
}

static void recovery_hint(const struct mkey_tab_entry *e)
{
	log_err("volume %s: to recover, restore the key file %s from its backup "
		"(cp BACKUP %s, or mkey keyfile-backup BACKUP %s), then run "
		"'mkey-agent unlock %s' (or: mkey activate --key-file %s --admin NAME; "
		"mkey open DEVICE %s; mount /dev/mapper/%s); see RECOVERY in mkey-agent(8)",
		e->name, e->key_file, e->key_file, e->key_file, e->name, e->key_file,
		e->name, e->name);
}

static void explain_keyfile_load(const struct agent *ag, const struct mkey_tab_entry *e,
				 int err)
{
	switch (err) {
	case -ENOENT:
		log_err("volume %s: key file %s is missing: it is expected there by %s line %u. "
			"The volume stays closed.", e->name, e->key_file, ag->tab_path, e->line);
		break;
	case -EBADMSG:
	case -EPROTONOSUPPORT:
	case -EFBIG:
		log_err("volume %s: key file %s is damaged or not a dm-mkey key file: %s. "
			"The volume stays closed.", e->name, e->key_file,
			detail_or(mkey_strerror(err)));
		break;
	default:
		log_err("volume %s: cannot read key file %s: %s. The volume stays closed.",
			e->name, e->key_file, detail_or(strerror(-err)));
		break;
	}
	recovery_hint(e);
}

/* Serializes the units that share a key file, so it is asked for once. */
static int lock_keyfile(const char *path)
{
	char lock[PATH_MAX];
	uint64_t h = 1469598103934665603ULL;
	int fd;

	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	if (mkdir("/run/mkey", 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(lock, sizeof(lock), "/run/mkey/keyfile-%016llx.lock", (unsigned long long)h);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -errno;
		}
	return fd;
}

static int unlock_unattended(const struct agent *ag, const struct mkey_tab_entry *e,
			     struct mkey_keyfile *kf, const struct mkey_startup *st)
{
	struct mkey_secbuf *secret = NULL;
	char path[PATH_MAX];
	int ret;

	mkey_unattended_secret_path(ag->confdir, mkey_keyfile_id(kf), path, sizeof(path));
	mkey_error_clear();
	ret = mkey_unattended_secret_read(path, &secret);
	if (ret == -ENOENT) {
		log_err("volume %s: key file %s is set to unattended, but its secret %s is missing. "
			"Enable unattended unlocking again (mkey keyfile-startup %s unattended), or "
			"unlock by hand (mkey-agent unlock %s).",
			e->name, e->key_file, path, e->key_file, e->name);
		return ret;
	}
	if (ret < 0) {
		log_err("volume %s: cannot use the unattended secret %s of key file %s: %s",
			e->name, path, e->key_file, detail_or(strerror(-ret)));
		return ret;
	}
	mkey_error_clear();
	ret = mkey_keyfile_unlock(kf, st->admin, secret->data, secret->len);
	mkey_secbuf_free(secret);
	switch (ret) {
	case 0:
		log_notice("volume %s: key file %s unlocked unattended (administrator %s)",
			   e->name, e->key_file, st->admin);
		return 0;
	case -ENOENT:
		log_err("volume %s: key file %s has no administrator %s, so it cannot be unlocked "
			"unattended (was unattended unlocking disabled, or an older copy of the key "
			"file restored?). Run 'mkey keyfile-startup %s unattended' again, or unlock "
			"by hand (mkey-agent unlock %s).",
			e->name, e->key_file, st->admin, e->key_file, e->name);
		return ret;
	case -EKEYREJECTED:
		log_err("volume %s: the unattended secret %s does not unlock key file %s as %s "
			"(were the key file or the secret replaced?). Run 'mkey keyfile-startup %s "
			"unattended' again, or unlock by hand (mkey-agent unlock %s).",
			e->name, path, e->key_file, st->admin, e->key_file, e->name);
		return ret;
	case -EBADMSG:
		log_err("volume %s: key file %s fails its integrity check: it was changed outside "
			"mkey. The volume stays closed.", e->name, e->key_file);
		recovery_hint(e);
		return ret;
	default:
		log_err("volume %s: cannot unlock key file %s: %s", e->name, e->key_file,
			detail_or(strerror(-ret)));
		return ret;
	}
}

/* The only administrator a person can be, if there is exactly one. */
static const char *default_admin(const struct mkey_keyfile *kf)
{
	const char *only = NULL;
	size_t plen = strlen(MKEY_UNATTENDED_ADMIN_PREFIX);

	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		const char *name = mkey_keyfile_admin_at(kf, i)->name;

		if (!strncmp(name, MKEY_UNATTENDED_ADMIN_PREFIX, plen))
			continue;
		if (only)
			return NULL;
		only = name;
	}
	return only;
}

static int unlock_interactive(const struct agent *ag, const struct mkey_tab_entry *e,
			      struct mkey_keyfile *kf)
{
	enum prompt_method m = prompt_resolve(ag);
	const char *dflt = default_admin(kf);
	char id[200], question[PATH_MAX + 512], msg[PATH_MAX + 512];
	unsigned int attempt;
	int ret = -EKEYREJECTED;

	snprintf(id, sizeof(id), "mkey:%s", e->name);
	log_info("volume %s: asking for an administrator of key file %s (%s)", e->name,
		 e->key_file, prompt_method_name(m));
	for (attempt = 1; e->tries == 0 || attempt <= e->tries; attempt++) {
		char answer[MKEY_ADMIN_NAME_MAX + 64], admin[MKEY_ADMIN_NAME_MAX + 1];
		struct mkey_secbuf *pw = NULL;

		if (dflt)
			snprintf(question, sizeof(question),
				 "Administrator for key file %s (volume %s) [%s]:",
				 e->key_file, e->name, dflt);
		else
			snprintf(question, sizeof(question),
				 "Administrator for key file %s (volume %s):", e->key_file, e->name);
		ret = prompt_text(ag, m, id, question, answer, sizeof(answer));
		if (ret < 0) {
			log_err("volume %s: cannot ask for an administrator of key file %s: %s",
				e->name, e->key_file, ret == -ENOTTY ? "no terminal" :
				ret == -ECANCELED ? "the question was cancelled" : strerror(-ret));
			return ret;
		}
		if (!answer[0] && dflt)
			snprintf(answer, sizeof(answer), "%s", dflt);
		if (!answer[0]) {
			prompt_say(ag, m, "An administrator name is needed.");
			continue;
		}
		if (mkey_admin_name_normalize(answer, admin) < 0 ||
		    mkey_keyfile_admin_find(kf, admin) < 0) {
			if (e->tries)
				snprintf(msg, sizeof(msg),
					 "No administrator %s in key file %s (attempt %u of %u).",
					 answer, e->key_file, attempt, e->tries);
			else
				snprintf(msg, sizeof(msg), "No administrator %s in key file %s.",
					 answer, e->key_file);
			prompt_say(ag, m, msg);
			log_warn("volume %s: no administrator '%s' in key file %s (attempt %u)",
				 e->name, answer, e->key_file, attempt);
			ret = -ENOENT;
			continue;
		}
		snprintf(question, sizeof(question), "Password of %s for key file %s:",
			 admin, e->key_file);
		ret = prompt_secret(ag, m, id, question, &pw);
		if (ret == -ENODATA) {
			prompt_say(ag, m, "The password is empty.");
			continue;
		}
		if (ret < 0) {
			log_err("volume %s: cannot ask for the password of %s: %s", e->name, admin,
				ret == -ECANCELED ? "the question was cancelled" : strerror(-ret));
			return ret;
		}
		mkey_error_clear();
		ret = mkey_keyfile_unlock(kf, admin, pw->data, pw->len);
		mkey_secbuf_free(pw);
		if (ret == 0) {
			log_notice("volume %s: key file %s unlocked by administrator %s",
				   e->name, e->key_file, admin);
			return 0;
		}
		if (ret == -EKEYREJECTED) {
			if (e->tries)
				snprintf(msg, sizeof(msg), "Wrong password for %s (attempt %u of %u).",
					 admin, attempt, e->tries);
			else
				snprintf(msg, sizeof(msg), "Wrong password for %s.", admin);
			prompt_say(ag, m, msg);
			log_warn("volume %s: wrong password for administrator %s of key file %s "
				 "(attempt %u)", e->name, admin, e->key_file, attempt);
			continue;
		}
		if (ret == -EBADMSG) {
			log_err("volume %s: key file %s fails its integrity check: it was changed "
				"outside mkey. The volume stays closed.", e->name, e->key_file);
			recovery_hint(e);
			return ret;
		}
		log_err("volume %s: cannot unlock key file %s: %s", e->name, e->key_file,
			detail_or(strerror(-ret)));
		return ret;
	}
	log_err("volume %s: key file %s was not unlocked in %u attempts (tries=%u); "
		"the volume stays closed", e->name, e->key_file, e->tries, e->tries);
	return ret;
}

static int activate_from_keyfile(const struct agent *ag, const struct mkey_tab_entry *e,
				 const char *dev, const struct mkey_label *label)
{
	struct mkey_keyfile_activation *res = NULL;
	struct mkey_keyfile *kf = NULL;
	char guid[MKEY_GUID_STR_LEN + 1];
	struct mkey_startup st;
	key_serial_t serial;
	int lock, ret, n, fresh = 0;
	bool by_hand;

	mkey_guid_format(&label->key_guid, guid);
	lock = lock_keyfile(e->key_file);
	if (lock < 0)
		log_warn("volume %s: cannot lock /run/mkey (%s); going on without", e->name,
			 strerror(-lock));
	/* Another volume's unit may have unlocked the same key file meanwhile. */
	if (mkey_key_find(&label->key_guid, &serial) == 0) {
		ret = 0;
		goto out;
	}
	mkey_error_clear();
	ret = mkey_keyfile_load(e->key_file, &kf);
	if (ret < 0) {
		explain_keyfile_load(ag, e, ret);
		goto out;
	}
	if (mkey_keyfile_key_find(kf, &label->key_guid) < 0) {
		log_err("volume %s: key file %s does not hold key %s, which the label of %s names: "
			"is it the right key file for this volume? The volume stays closed.",
			e->name, e->key_file, guid, dev);
		ret = -ENOKEY;
		goto out;
	}
	mkey_error_clear();
	ret = mkey_startup_get(ag->confdir, e->key_file, &st);
	if (ret < 0) {
		log_err("volume %s: %s", e->name, detail_or(strerror(-ret)));
		goto out;
	}
	/*
	 * The setting says how the boot unlocks the file. Someone who runs the
	 * agent on a terminal is asked whenever the machine cannot do it alone:
	 * that is the recovery path (a lost secret, startup 'none').
	 */
	by_hand = prompt_resolve(ag) == PROMPT_TTY;
	switch (st.mode) {
	case MKEY_STARTUP_NONE:
		if (by_hand) {
			ret = unlock_interactive(ag, e, kf);
			break;
		}
		log_err("volume %s: key file %s is not unlocked at boot (its startup setting is "
			"'none', see mkey keyfile-startup). Unlock it by hand on a terminal: "
			"mkey-agent unlock %s", e->name, e->key_file, e->name);
		ret = -EPERM;
		goto out;
	case MKEY_STARTUP_UNATTENDED:
		ret = unlock_unattended(ag, e, kf, &st);
		if (ret < 0 && ret != -EBADMSG && by_hand) {
			log_notice("volume %s: asking an administrator instead", e->name);
			ret = unlock_interactive(ag, e, kf);
		}
		break;
	default:
		ret = unlock_interactive(ag, e, kf);
		break;
	}
	if (ret < 0)
		goto out;
	n = mkey_keyfile_activate(kf, &res);
	if (n < 0) {
		log_err("volume %s: cannot activate the keys of %s: %s", e->name, e->key_file,
			mkey_strerror(n));
		ret = n;
		goto out;
	}
	ret = -ENOKEY;
	for (int i = 0; i < n; i++) {
		char g[MKEY_GUID_STR_LEN + 1];

		mkey_guid_format(&res[i].guid, g);
		if (res[i].result == 0)
			fresh++;
		else if (res[i].result != -EEXIST)
			log_warn("volume %s: key %s of %s was not activated: %s", e->name, g,
				 e->key_file, mkey_strerror(res[i].result));
		if (mkey_guid_equal(&res[i].guid, &label->key_guid))
			ret = res[i].result == -EEXIST ? 0 : res[i].result;
	}
	log_info("volume %s: %d of %d keys of %s activated now", e->name, fresh, n, e->key_file);
	if (ret < 0)
		log_err("volume %s: key %s could not be activated: %s", e->name, guid,
			mkey_strerror(ret));
out:
	free(res);
	mkey_keyfile_free(kf);
	if (lock >= 0)
		close(lock);
	return ret;
}

/*
 * kmip:SERVER: fetch the key the label names from the servers of the
 * definition, which fail over as they always do (docs/kmip.md).
 */
static int activate_from_kmip(const struct agent *ag, const struct mkey_tab_entry *e,
			      const struct mkey_label *label)
{
	struct mkey_kmip_config *cfg = NULL;
	struct mkey_kmip_client *c = NULL;
	char dir[PATH_MAX], guid[MKEY_GUID_STR_LEN + 1];
	key_serial_t serial;
	int ret;

	mkey_guid_format(&label->key_guid, guid);
	snprintf(dir, sizeof(dir), "%s/kmip", ag->confdir);
	mkey_error_clear();
	ret = mkey_kmip_config_load(dir, e->kmip_server, &cfg);
	if (ret < 0) {
		log_err("volume %s: KMIP server definition %s/%s.conf (%s line %u): %s. The "
			"volume stays closed.", e->name, dir, e->kmip_server, ag->tab_path, e->line,
			detail_or(strerror(-ret)));
		return ret;
	}
	ret = mkey_kmip_client_new(cfg, &c);
	if (!ret)
		ret = mkey_kmip_key_activate(c, &label->key_guid, &serial, NULL);
	if (ret == -EEXIST)
		ret = 0;
	if (ret < 0)
		log_err("volume %s: cannot fetch key %s from the KMIP servers of %s: %s. The "
			"volume stays closed.", e->name, guid, e->kmip_server,
			detail_or(mkey_strerror(ret)));
	else
		log_info("volume %s: key %s fetched from the KMIP servers of %s and activated",
			 e->name, guid, e->kmip_server);
	mkey_kmip_client_free(c);
	mkey_kmip_config_free(cfg);
	return ret;
}

int unlock_volume(const struct agent *ag, const struct mkey_tab_entry *e)
{
	struct mkey_open_opts opts = { .read_only = e->readonly, .allow_discards = e->discard };
	struct mkey_label_read lr;
	struct mkey_mapping m;
	char dev[PATH_MAX], guid[MKEY_GUID_STR_LEN + 1];
	key_serial_t serial;
	int ret;

	ret = ensure_module();
	if (ret < 0)
		return ret;
	ret = mkey_mapping_get(e->name, &m);
	if (ret == 0) {
		log_notice("volume %s is already open (/dev/mapper/%s)", e->name, e->name);
		return 0;
	}
	if (ret == -EMEDIUMTYPE) {
		log_err("volume %s: /dev/mapper/%s exists and is not a dm-mkey mapping", e->name,
			e->name);
		return -EEXIST;
	}
	ret = wait_device(ag, e, dev, sizeof(dev));
	if (ret < 0)
		return ret;
	mkey_error_clear();
	ret = mkey_label_read_path(dev, &lr);
	if (ret < 0) {
		log_err("volume %s: %s holds no usable dm-mkey label: primary copy: %s; backup "
			"copy: %s. The volume stays closed ('mkey dump %s' shows both copies).",
			e->name, dev,
			lr.primary.fault == MKEY_LABEL_OK ? "valid" : mkey_label_fault_str(lr.primary.fault),
			lr.backup.fault == MKEY_LABEL_OK ? "valid" : mkey_label_fault_str(lr.backup.fault),
			dev);
		return ret;
	}
	if (e->by_uuid && !mkey_guid_equal(&lr.label.volume_uuid, &e->volume_uuid)) {
		log_err("volume %s: %s holds another volume than %s", e->name, dev, e->device);
		return -ENODEV;
	}
	if (lr.used == MKEY_COPY_BACKUP)
		log_warn("volume %s: the primary label of %s is damaged (%s); using the backup copy",
			 e->name, dev, mkey_label_fault_str(lr.primary.fault));
	mkey_guid_format(&lr.label.key_guid, guid);
	if (mkey_key_find(&lr.label.key_guid, &serial) != 0) {
		ret = e->kmip_server[0] ? activate_from_kmip(ag, e, &lr.label) :
					  activate_from_keyfile(ag, e, dev, &lr.label);
		if (ret < 0)
			return ret;
	} else {
		log_info("volume %s: key %s is already active", e->name, guid);
	}
	mkey_error_clear();
	ret = mkey_volume_open(dev, e->name, &opts, NULL);
	if (ret == -EEXIST && mkey_mapping_get(e->name, &m) == 0) {
		log_notice("volume %s is already open (/dev/mapper/%s)", e->name, e->name);
		return 0;
	}
	if (ret < 0) {
		log_err("volume %s: cannot open %s as /dev/mapper/%s: %s%s%s%s", e->name, dev,
			e->name, mkey_strerror(ret), *mkey_error_detail() ? " (" : "",
			mkey_error_detail(), *mkey_error_detail() ? ")" : "");
		return ret;
	}
	log_notice("volume %s: %s opened as /dev/mapper/%s (key %s%s%s)", e->name, dev,
		   e->name, guid, e->readonly ? ", read-only" : "",
		   e->discard ? ", discards passed down" : "");
	return 0;
}
