// SPDX-License-Identifier: GPL-2.0
/*
 * mkey-generator (mkey-agent called by that name): the units it writes
 * for a volume table and an fstab, compared with what docs/boot.md and
 * mkey-agent(8) promise. Runs the mkey-agent built next to this test.
 */
#include "kselftest_harness.h"

#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "keyfile-util.h"

/* build[/asan]/tests/unit/test-generator -> build[/asan]/mkey-agent */
static const char *agent_bin(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return "mkey-agent";
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/../../mkey-agent", dirname(exe));
	return path;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static char *get(const char *dir, const char *name)
{
	static char buf[8192];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static bool exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

FIXTURE(gen)
{
	char dir[128], out[256], tab[256], fstab[256], conf[256];
	int status;
};

FIXTURE_SETUP(gen)
{
	char link[256], bin[PATH_MAX];

	ASSERT_EQ(0, make_temp_dir(self->dir));
	snprintf(self->out, sizeof(self->out), "%s/out", self->dir);
	snprintf(self->tab, sizeof(self->tab), "%s/mkeytab", self->dir);
	snprintf(self->fstab, sizeof(self->fstab), "%s/fstab", self->dir);
	snprintf(self->conf, sizeof(self->conf), "%s/startup.conf", self->dir);
	ASSERT_EQ(0, mkdir(self->out, 0755));
	put(self->tab,
	    "# test\n"
	    "data UUID=407c5c18-52b9-4536-ad2f-fdf97215d628 /etc/mkey/data.mkey -\n"
	    "soft /dev/vdc /etc/mkey/data.mkey nofail\n"
	    "must /dev/disk/by-id/virtio-must /srv/keys/must.mkey required,tries=5\n"
	    "later /dev/vdd /etc/mkey/data.mkey noauto\n"
	    "broken /dev/vde relative.mkey\n"
	    "net /dev/vdf kmip:vault\n");
	put(self->fstab,
	    "/dev/vda / ext4 defaults 0 1\n"
	    "/dev/mapper/data /srv/data ext4 defaults 0 2\n"
	    "/dev/disk/by-id/dm-name-later /srv/later ext4 nofail 0 2\n"
	    "/dev/mapper/soft none swap sw 0 0\n"
	    "# /dev/mapper/must /srv/must ext4 defaults 0 2\n"
	    "/dev/mapper/net /srv/net ext4 _netdev 0 2\n");
	put(self->conf, "/etc/mkey/data.mkey unattended UNATTENDED@X\n");
	/* The generator is mkey-agent called mkey-generator. */
	snprintf(link, sizeof(link), "%s/mkey-generator", self->dir);
	ASSERT_NE(NULL, realpath(agent_bin(), bin)) TH_LOG("no %s: build it first", agent_bin());
	ASSERT_EQ(0, symlink(bin, link));
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(link, "mkey-generator", "--tab", self->tab, "--fstab", self->fstab,
		      "--confdir", self->dir, self->out, self->out, self->out, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &self->status, 0));
}

FIXTURE_TEARDOWN(gen)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd) != 0)
		TH_LOG("cannot remove %s", self->dir);
}

TEST_F(gen, succeeds_despite_a_bad_line)
{
	ASSERT_TRUE(WIFEXITED(self->status));
	EXPECT_EQ(0, WEXITSTATUS(self->status));
	EXPECT_FALSE(exists(self->out, "mkey@broken.service"));
}

TEST_F(gen, the_unit_of_a_volume)
{
	char *u = get(self->out, "mkey@data.service");
	char want[256];

	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "\nDefaultDependencies=no\n"));
	EXPECT_NE(NULL, strstr(u, "\nBindsTo=dev-disk-by\\x2dmkey\\x2duuid-407C5C18\\x2d52B9\\x2d4536\\x2dAD2F\\x2dFDF97215D628.device\n"));
	EXPECT_NE(NULL, strstr(u, "\nAfter=dev-disk-by\\x2dmkey\\x2duuid-407C5C18"));
	EXPECT_NE(NULL, strstr(u, "\nBefore=mkey.target\n"));
	EXPECT_NE(NULL, strstr(u, "\nConflicts=umount.target\n"));
	snprintf(want, sizeof(want), "\nRequiresMountsFor=/etc/mkey %s\n", self->dir);
	EXPECT_NE(NULL, strstr(u, want));
	EXPECT_NE(NULL, strstr(u, "mkey-agent unlock data\n"));
	EXPECT_NE(NULL, strstr(u, "mkey-agent close data\n"));
	EXPECT_NE(NULL, strstr(u, "\nType=oneshot\nRemainAfterExit=yes\n"));
	EXPECT_EQ(NULL, strstr(u, "OnFailure="));
	EXPECT_TRUE(exists(self->out, "mkey.target.requires/mkey@data.service"));
	EXPECT_TRUE(exists(self->out, "dev-disk-by\\x2dmkey\\x2duuid-407C5C18\\x2d52B9\\x2d4536\\x2dAD2F\\x2dFDF97215D628.device.wants/mkey@data.service"));
	EXPECT_TRUE(exists(self->out, "sysinit.target.wants/mkey.target"));
	/* Unattended: no infinite device timeout. */
	EXPECT_FALSE(exists(self->out, "dev-mapper-data.device.d/40-mkey.conf"));
}

TEST_F(gen, nofail_required_noauto)
{
	char *u;

	u = get(self->out, "mkey@soft.service");
	ASSERT_NE(NULL, u);
	EXPECT_EQ(NULL, strstr(u, "Before=mkey.target"));
	EXPECT_TRUE(exists(self->out, "mkey.target.wants/mkey@soft.service"));
	EXPECT_FALSE(exists(self->out, "mkey.target.requires/mkey@soft.service"));

	u = get(self->out, "mkey@must.service");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "\nOnFailure=emergency.target\nOnFailureJobMode=replace-irreversibly\n"));
	EXPECT_NE(NULL, strstr(u, "\nBindsTo=dev-disk-by\\x2did-virtio\\x2dmust.device\n"));
	EXPECT_NE(NULL, strstr(u, "\nRequiresMountsFor=/srv/keys "));
	/* Interactive (not in startup.conf): the mapper device waits for a person. */
	u = get(self->out, "dev-mapper-must.device.d/40-mkey.conf");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "\nJobTimeoutSec=infinity\n"));

	EXPECT_TRUE(exists(self->out, "mkey@later.service"));
	EXPECT_FALSE(exists(self->out, "mkey.target.requires/mkey@later.service"));
	EXPECT_FALSE(exists(self->out, "mkey.target.wants/mkey@later.service"));
	EXPECT_FALSE(exists(self->out, "dev-vdd.device.wants/mkey@later.service"));
}

TEST_F(gen, a_kmip_volume_waits_for_the_network)
{
	char *u = get(self->out, "mkey@net.service");
	char want[256];

	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "\nWants=network-online.target\nAfter=network-online.target\n"));
	EXPECT_NE(NULL, strstr(u, "\nBefore=remote-fs-pre.target\n"));
	EXPECT_NE(NULL, strstr(u, "\nBefore=remote-fs.target\n"));
	EXPECT_EQ(NULL, strstr(u, "mkey.target"));
	EXPECT_NE(NULL, strstr(u, " kmip:vault -\n"));
	/* Only the configuration is needed, no key file directory. */
	snprintf(want, sizeof(want), "\nRequiresMountsFor=%s\n", self->dir);
	EXPECT_NE(NULL, strstr(u, want));
	EXPECT_TRUE(exists(self->out, "remote-fs.target.requires/mkey@net.service"));
	EXPECT_FALSE(exists(self->out, "mkey.target.requires/mkey@net.service"));
	EXPECT_TRUE(exists(self->out, "dev-vdf.device.wants/mkey@net.service"));
	/* Nobody is asked: no infinite device timeout. */
	EXPECT_FALSE(exists(self->out, "dev-mapper-net.device.d/40-mkey.conf"));
	u = get(self->out, "srv-net.mount.d/40-mkey.conf");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "Requires=mkey@net.service"));
}

TEST_F(gen, fstab_entries_require_their_volume)
{
	char *u;

	u = get(self->out, "srv-data.mount.d/40-mkey.conf");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "\nRequires=mkey@data.service\nAfter=mkey@data.service\n"));
	u = get(self->out, "srv-later.mount.d/40-mkey.conf");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "Requires=mkey@later.service"));
	u = get(self->out, "dev-mapper-soft.swap.d/40-mkey.conf");
	ASSERT_NE(NULL, u);
	EXPECT_NE(NULL, strstr(u, "Requires=mkey@soft.service"));
	EXPECT_FALSE(exists(self->out, "srv-must.mount.d"));
	EXPECT_FALSE(exists(self->out, "-.mount.d"));
}

TEST_HARNESS_MAIN
