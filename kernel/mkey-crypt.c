// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mkey: the data path.
 *
 * Reads are remapped in place: the bio goes to the device as it is, and its
 * completion decrypts the data in the caller's own pages. Writes are
 * encrypted into bounce pages carried by a clone bio, because the caller's
 * pages must not change under it.
 *
 * Where the crypto runs decides both latency and throughput. Every hop
 * through a queue costs a wake-up on another CPU, which dominates the
 * latency of small I/O; but doing all crypto in the submitting context
 * leaves the other CPUs idle when the submitter has many bios in flight.
 * mkey_offload() therefore runs crypto inline while a bio is alone in the
 * target, and once bios overlap spreads it over the other CPUs, keeping a
 * share inline so the submitter's CPU works too. A submitter that waits
 * for each bio never makes bios overlap when they complete inline, so an
 * occasional bio is queued anyway ("probe") to find out whether the
 * submitter would send more.
 */
#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "mkey.h"

#define MKEY_MIN_IOS		64
#define MKEY_MAX_SG		(MKEY_MAX_SECTOR_SIZE / SECTOR_SIZE)
/* Work queued or running per other CPU before the submitter does work itself. */
#define MKEY_CPU_QUEUE_DEPTH	4
/* Queue one in this many lone bios, to discover a deeper submitter. */
#define MKEY_PROBE_INTERVAL	16
/* How long overlapping bios keep the target in parallel mode. */
#define MKEY_PARALLEL_WINDOW	(HZ / 20)
/* Bytes of inline crypto between chances to reschedule. */
#define MKEY_RESCHED_BYTES	(64 * 1024)

struct mkey_io {
	struct mkey_c *mc;
	struct bio *base_bio;
	struct bio *clone;		/* write: the ciphertext bio */
	struct bvec_iter src;		/* next unit to read from base_bio */
	struct bvec_iter dst;		/* write: next unit to fill in clone */
	sector_t iv_sector;		/* plain64 IV of the next unit */
	unsigned int sectors;		/* size of the bio, for the counters */
	unsigned int since_resched;	/* bytes */
	bool may_sleep;
	blk_status_t status;
	bio_end_io_t *orig_end_io;	/* read: dm core's completion */
	void *orig_private;
	struct work_struct work;
	__le64 iv[2];
	struct scatterlist sg_src[MKEY_MAX_SG];
	struct scatterlist sg_dst[MKEY_MAX_SG];
	/* The skcipher request and its context follow, see mkey_io_req(). */
};

static struct skcipher_request *mkey_io_req(struct mkey_io *io)
{
	return (void *)io + ALIGN(sizeof(*io), CRYPTO_MINALIGN);
}

static bool mkey_is_write(const struct mkey_io *io)
{
	return bio_data_dir(io->base_bio) == WRITE;
}

static void mkey_io_init(struct mkey_io *io, struct mkey_c *mc,
			 struct bio *bio, sector_t offset)
{
	io->mc = mc;
	io->base_bio = bio;
	io->clone = NULL;
	io->iv_sector = offset;
	io->sectors = bio_sectors(bio);
	io->since_resched = 0;
	io->status = BLK_STS_OK;
	sg_init_table(io->sg_src, MKEY_MAX_SG);
	sg_init_table(io->sg_dst, MKEY_MAX_SG);
	skcipher_request_set_tfm(mkey_io_req(io), mc->tfm);
}

/* The end of an io: counters, then hand the bio back to dm core. */
static void mkey_complete(struct mkey_io *io, blk_status_t status)
{
	struct mkey_c *mc = io->mc;
	struct bio *bio = io->base_bio;

	if (mkey_is_write(io)) {
		this_cpu_inc(mc->stats->writes);
		this_cpu_add(mc->stats->write_sectors, io->sectors);
	} else {
		this_cpu_inc(mc->stats->reads);
		this_cpu_add(mc->stats->read_sectors, io->sectors);
		bio->bi_end_io = io->orig_end_io;
		bio->bi_private = io->orig_private;
	}
	if (unlikely(status))
		this_cpu_inc(mc->stats->errors);

	atomic_dec(&mc->inflight);
	bio->bi_status = status;
	bio_endio(bio);
}

void mkey_crypt_sum_stats(struct mkey_c *mc, struct mkey_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct mkey_stats *s = per_cpu_ptr(mc->stats, cpu);

		sum->reads += READ_ONCE(s->reads);
		sum->writes += READ_ONCE(s->writes);
		sum->read_sectors += READ_ONCE(s->read_sectors);
		sum->write_sectors += READ_ONCE(s->write_sectors);
		sum->errors += READ_ONCE(s->errors);
	}
}

/* Write clones: bounce pages from a mempool so that writes always progress. */

static void mkey_free_clone(struct mkey_c *mc, struct bio *clone)
{
	struct bvec_iter_all iter_all;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, clone, iter_all)
		mempool_free(bv->bv_page, &mc->page_pool);
	bio_put(clone);
}

static void mkey_write_endio(struct bio *clone)
{
	struct mkey_io *io = clone->bi_private;
	blk_status_t status = clone->bi_status;

	mkey_free_clone(io->mc, clone);
	mkey_complete(io, status);
}

/*
 * Without @may_block only memory that is free right now is used, so neither
 * the submitter nor a crypto worker ever waits for it. Blocking allocations
 * happen only on the ordered alloc_wq: one allocator at a time waits on the
 * page pool, so the pool's reserve of one full bio is always enough for it
 * to finish, and nothing that would free pages (a crypto continuation about
 * to submit its write) can be stuck behind a waiting allocator.
 */
static bool mkey_alloc_write_clone(struct mkey_io *io, bool may_block)
{
	struct mkey_c *mc = io->mc;
	struct bio *base = io->base_bio;
	unsigned int nr_pages = DIV_ROUND_UP(io->src.bi_size, PAGE_SIZE);
	unsigned int remaining = io->src.bi_size;
	gfp_t gfp = may_block ? GFP_NOIO : GFP_NOWAIT | __GFP_NOWARN;
	struct bio *clone;
	unsigned int i;

	clone = bio_alloc_bioset(mc->dev->bdev, nr_pages, base->bi_opf, gfp,
				 &mc->bs);
	if (!clone)
		goto out;

	for (i = 0; i < nr_pages; i++) {
		unsigned int len = min_t(unsigned int, remaining, PAGE_SIZE);
		struct page *page = mempool_alloc(&mc->page_pool, gfp);

		if (!page) {
			mkey_free_clone(mc, clone);
			clone = NULL;
			goto out;
		}
		__bio_add_page(clone, page, len, 0);
		remaining -= len;
	}

	clone->bi_iter.bi_sector = mc->label.data_offset + io->iv_sector;
	clone->bi_ioprio = base->bi_ioprio;
	clone->bi_private = io;
	clone->bi_end_io = mkey_write_endio;
	io->clone = clone;
	io->dst = clone->bi_iter;
out:
	return clone;
}

/* Crypto: one skcipher request per encryption sector. */

/* Point @sg at the next @len bytes of @bio and advance @iter past them. */
static int mkey_map_unit(struct bio *bio, struct bvec_iter *iter,
			 struct scatterlist *sg, unsigned int len)
{
	unsigned int n = 0;

	while (len) {
		struct bio_vec bv = bio_iter_iovec(bio, *iter);
		unsigned int part = min(len, bv.bv_len);

		if (n == MKEY_MAX_SG || !part)
			return -EIO;
		sg_set_page(&sg[n], bv.bv_page, part, bv.bv_offset);
		sg_unmark_end(&sg[n]);
		bio_advance_iter_single(bio, iter, part);
		len -= part;
		n++;
	}
	sg_mark_end(&sg[n - 1]);
	return 0;
}

static void mkey_crypt_done(struct crypto_async_request *areq, int err);

/*
 * Run the crypto from where it stopped. Returns false when an asynchronous
 * request is pending: mkey_crypt_done() then resumes from a worker.
 */
static bool mkey_crypt_units(struct mkey_io *io)
{
	struct mkey_c *mc = io->mc;
	struct skcipher_request *req = mkey_io_req(io);
	unsigned int size = mc->label.sector_size;
	bool write = mkey_is_write(io);
	int r;

	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				      (io->may_sleep ? CRYPTO_TFM_REQ_MAY_SLEEP : 0),
				      mkey_crypt_done, io);

	while (io->src.bi_size && !io->status) {
		struct scatterlist *dst = io->sg_src;

		if (mkey_map_unit(io->base_bio, &io->src, io->sg_src, size)) {
			io->status = BLK_STS_IOERR;
			break;
		}
		if (write) {
			dst = io->sg_dst;
			if (mkey_map_unit(io->clone, &io->dst, dst, size)) {
				io->status = BLK_STS_IOERR;
				break;
			}
		}
		/* The cipher leaves its last tweak in the IV: set all of it. */
		io->iv[0] = cpu_to_le64(io->iv_sector);
		io->iv[1] = 0;
		io->iv_sector += size >> SECTOR_SHIFT;
		skcipher_request_set_crypt(req, io->sg_src, dst, size, io->iv);

		r = write ? crypto_skcipher_encrypt(req) :
			    crypto_skcipher_decrypt(req);
		if (r == -EINPROGRESS || r == -EBUSY)
			return false;
		if (unlikely(r)) {
			DMERR_LIMIT("%s failed: %d", write ? "encryption" :
				    "decryption", r);
			io->status = BLK_STS_IOERR;
			break;
		}

		io->since_resched += size;
		if (io->may_sleep && io->since_resched >= MKEY_RESCHED_BYTES) {
			io->since_resched = 0;
			cond_resched();
		}
	}
	return true;
}

/* After the crypto: a write goes to the device, a read goes back up. */
static void mkey_crypt_finish(struct mkey_io *io)
{
	if (!mkey_is_write(io)) {
		mkey_complete(io, io->status);
	} else if (unlikely(io->status)) {
		mkey_free_clone(io->mc, io->clone);
		mkey_complete(io, io->status);
	} else {
		submit_bio_noacct(io->clone);
	}
}

static void mkey_run(struct mkey_io *io, bool may_sleep)
{
	io->may_sleep = may_sleep;
	if (mkey_crypt_units(io))
		mkey_crypt_finish(io);
}

/* Work placement. */

/* A write that found no memory free: wait for it here, then encrypt. */
static void mkey_alloc_work(struct work_struct *work)
{
	struct mkey_io *io = container_of(work, struct mkey_io, work);

	mkey_alloc_write_clone(io, true);
	mkey_run(io, true);
}

static void mkey_queue_alloc(struct mkey_io *io)
{
	INIT_WORK(&io->work, mkey_alloc_work);
	queue_work(io->mc->alloc_wq, &io->work);
}

static void mkey_io_work(struct work_struct *work)
{
	struct mkey_io *io = container_of(work, struct mkey_io, work);
	struct mkey_c *mc = io->mc;

	if (mkey_is_write(io) && !io->clone &&
	    !mkey_alloc_write_clone(io, false))
		mkey_queue_alloc(io);
	else
		mkey_run(io, true);
	/* io may be gone now. */
	atomic_dec(&mc->queued);
}

/* Where each CPU sends its next work item: see mkey_worker_cpu(). */
static DEFINE_PER_CPU(int, mkey_next_cpu);

/*
 * The next online CPU other than this one, round robin from this CPU's
 * cursor. The work goes to a CPU chosen here rather than to an unbound
 * worker because the scheduler, waking an unbound worker from a busy
 * submitter, often places it on the submitter's own CPU: the two then take
 * turns on one CPU while the other idles (docs/performance.md has the
 * measurements).
 */
static int mkey_worker_cpu(void)
{
	int self = get_cpu();
	int *cursor = this_cpu_ptr(&mkey_next_cpu);
	int cpu = *cursor;

	do {
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	} while (cpu == self && num_online_cpus() > 1);
	*cursor = cpu;
	put_cpu();
	return cpu;
}

static void mkey_queue(struct mkey_io *io)
{
	atomic_inc(&io->mc->queued);
	INIT_WORK(&io->work, mkey_io_work);
	queue_work_on(mkey_worker_cpu(), io->mc->wq, &io->work);
}

static void mkey_crypt_done(struct crypto_async_request *areq, int err)
{
	struct mkey_io *io = areq->data;

	/* A backlogged request started: its real completion follows. */
	if (err == -EINPROGRESS)
		return;
	if (err) {
		DMERR_LIMIT("asynchronous crypto failed: %d", err);
		io->status = BLK_STS_IOERR;
	}
	/* This may be softirq context: continue in a worker. */
	mkey_queue(io);
}

/* Is the bio at hand the only one in flight, and not a probe? */
static bool mkey_alone(struct mkey_c *mc)
{
	unsigned long until = jiffies + MKEY_PARALLEL_WINDOW;
	unsigned int n;

	if (atomic_read(&mc->inflight) > 1) {
		/* Written at most once a jiffy: the line is shared by all CPUs. */
		if (READ_ONCE(mc->parallel_until) != until)
			WRITE_ONCE(mc->parallel_until, until);
		return false;
	}
	if (time_before(jiffies, READ_ONCE(mc->parallel_until)))
		return false;

	n = READ_ONCE(mc->solo_count) + 1;
	WRITE_ONCE(mc->solo_count, n);
	return n % MKEY_PROBE_INTERVAL;
}

/*
 * Should this io's crypto go to a worker rather than run inline? Keeping
 * only a few items queued per other CPU means the submitter does its share
 * of the work instead of waiting behind a backlog (with no inline share,
 * sequential throughput halves on two CPUs).
 */
static bool mkey_offload(struct mkey_c *mc, bool can_inline)
{
	unsigned int others = num_online_cpus() - 1;

	if (!can_inline)
		return true;
	if (!others || mkey_alone(mc))
		return false;
	return atomic_read(&mc->queued) < others * MKEY_CPU_QUEUE_DEPTH;
}

static void mkey_read_endio(struct bio *bio)
{
	struct mkey_io *io = bio->bi_private;

	if (unlikely(bio->bi_status)) {
		mkey_complete(io, bio->bi_status);
		return;
	}
	/*
	 * Completions can come from interrupts; only a task context may do
	 * the crypto inline, and even there nothing says it may sleep.
	 */
	if (mkey_offload(io->mc, in_task()))
		mkey_queue(io);
	else
		mkey_run(io, false);
}

int mkey_crypt_map(struct dm_target *ti, struct bio *bio)
{
	struct mkey_c *mc = ti->private;
	unsigned int unit_mask = (mc->label.sector_size >> SECTOR_SHIFT) - 1;
	struct mkey_io *io;
	sector_t offset;

	/* Flushes and discards carry no data to encrypt: pass them down. */
	if (unlikely(bio->bi_opf & REQ_PREFLUSH ||
		     bio_op(bio) == REQ_OP_DISCARD || !bio_sectors(bio))) {
		bio_set_dev(bio, mc->dev->bdev);
		if (bio_sectors(bio))
			bio->bi_iter.bi_sector = mc->label.data_offset +
				dm_target_offset(ti, bio->bi_iter.bi_sector);
		return DM_MAPIO_REMAPPED;
	}
	if (unlikely(bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE))
		return DM_MAPIO_KILL;

	/* A write clone holds at most BIO_MAX_VECS bounce pages. */
	if (bio_data_dir(bio) == WRITE &&
	    unlikely(bio->bi_iter.bi_size > (BIO_MAX_VECS << PAGE_SHIFT)))
		dm_accept_partial_bio(bio, (BIO_MAX_VECS << PAGE_SHIFT) >>
					   SECTOR_SHIFT);

	offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
	if (unlikely((offset | bio_sectors(bio)) & unit_mask))
		return DM_MAPIO_KILL;

	io = dm_per_bio_data(bio, mc->per_io_data_size);
	mkey_io_init(io, mc, bio, offset);
	atomic_inc(&mc->inflight);

	if (bio_data_dir(bio) == READ) {
		io->orig_end_io = bio->bi_end_io;
		io->orig_private = bio->bi_private;
		bio_set_dev(bio, mc->dev->bdev);
		bio->bi_iter.bi_sector = mc->label.data_offset + offset;
		io->src = bio->bi_iter;
		bio->bi_end_io = mkey_read_endio;
		bio->bi_private = io;
		submit_bio_noacct(bio);
		return DM_MAPIO_SUBMITTED;
	}

	io->src = bio->bi_iter;
	if (mkey_offload(mc, true))
		mkey_queue(io);
	else if (mkey_alloc_write_clone(io, false))
		mkey_run(io, true);
	else
		mkey_queue_alloc(io);
	return DM_MAPIO_SUBMITTED;
}

int mkey_crypt_ctr(struct mkey_c *mc, const u8 *key, unsigned int key_size,
		   const char *devname, char **error)
{
	int r;

	mc->tfm = crypto_alloc_skcipher("xts(aes)", 0, 0);
	if (IS_ERR(mc->tfm)) {
		r = PTR_ERR(mc->tfm);
		mc->tfm = NULL;
		*error = "Cannot allocate the xts(aes) cipher";
		return r;
	}
	r = crypto_skcipher_setkey(mc->tfm, key, key_size);
	if (r) {
		*error = "The cipher rejected the key";
		return r;
	}

	mc->per_io_data_size = ALIGN(sizeof(struct mkey_io), CRYPTO_MINALIGN) +
			       sizeof(struct skcipher_request) +
			       crypto_skcipher_reqsize(mc->tfm);

	r = bioset_init(&mc->bs, MKEY_MIN_IOS, 0, BIOSET_NEED_BVECS);
	if (r) {
		*error = "Cannot allocate the bio set";
		return r;
	}
	r = mempool_init_page_pool(&mc->page_pool, BIO_MAX_VECS, 0);
	if (r) {
		*error = "Cannot allocate the page pool";
		return r;
	}

	mc->stats = alloc_percpu(struct mkey_stats);
	if (!mc->stats) {
		*error = "Cannot allocate the I/O counters";
		return -ENOMEM;
	}

	/*
	 * Per-CPU: mkey_queue() picks the CPU. CPU_INTENSIVE: a long crypto
	 * item must not hold up other high-priority work on that CPU (kblockd
	 * shares the pool). MEM_RECLAIM: writes may be what frees memory.
	 */
	mc->wq = alloc_workqueue("kmkeyd/%s",
				 WQ_HIGHPRI | WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM,
				 0, devname);
	mc->alloc_wq = alloc_ordered_workqueue("kmkeyd_alloc/%s",
					       WQ_MEM_RECLAIM, devname);
	if (!mc->wq || !mc->alloc_wq) {
		*error = "Cannot allocate the workqueues";
		return -ENOMEM;
	}
	atomic_set(&mc->inflight, 0);
	atomic_set(&mc->queued, 0);
	return 0;
}

void mkey_crypt_dtr(struct mkey_c *mc)
{
	if (mc->wq)
		destroy_workqueue(mc->wq);
	if (mc->alloc_wq)
		destroy_workqueue(mc->alloc_wq);
	free_percpu(mc->stats);
	mempool_exit(&mc->page_pool);
	bioset_exit(&mc->bs);
	if (mc->tfm)
		crypto_free_skcipher(mc->tfm);
}
