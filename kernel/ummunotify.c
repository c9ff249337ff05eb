// SPDX-License-Identifier: GPL-2.0
/*
 * ummunotify: relay MMU-notifier invalidations of watched address ranges to
 * userspace, so that a registration cache (MPI, RDMA) learns exactly when a
 * cached buffer stops being backed by the pages it registered.
 *
 * One open file is bound to the opener's mm through an mmu_notifier.  Its
 * registrations sit in an interval tree (matching an invalidation costs
 * O(log n + hits)) and in an rbtree by cookie (register and unregister cost
 * O(log n)).  A registration that is hit goes onto the report queue, at most
 * once, so memory is bounded by the number of registrations whatever the rate
 * of invalidations.
 *
 * Locking: ctx->lock, a spinlock, guards the trees, the queue and the
 * counter; it is the only lock taken on the notifier path, which may not
 * sleep, and nothing allocates or touches user memory under it.
 * ctx->read_mutex serialises readers with unregister, so that a report taken
 * off the queue cannot reach userspace after the unregister of its cookie has
 * returned.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/interval_tree_generic.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/ummunotify.h>

static unsigned int max_registrations = 1U << 21;
module_param(max_registrations, uint, 0644);
MODULE_PARM_DESC(max_registrations,
		 "Most registrations one fd may hold, ENOSPC beyond (read when the fd is opened)");

#define UMMUNOTIFY_FEATURES \
	(UMMUNOTIFY_FEATURE_TARGET_EXIT | UMMUNOTIFY_FEATURE_COUNTER_FD)

/* Reports moved per pass under ctx->lock: bounds stack use and lock hold. */
#define UMMUNOTIFY_READ_BATCH	8

/* Invalidations counted per registration; two or more means "no hint". */
#define UMMUNOTIFY_HITS_MANY	2

/**
 * struct ummunotify_reg - one watched byte range
 * @it_node:         node in &ummunotify_ctx.reg_tree, keyed by [@start, @end)
 * @it_subtree_last: interval-tree bookkeeping: the largest @end - 1 below
 * @cookie_node:     node in &ummunotify_ctx.cookies, keyed by @cookie
 * @queue:           entry in &ummunotify_ctx.queue while a report is owed;
 *                   empty otherwise
 * @start:           first watched byte
 * @end:             first byte after the watched range
 * @cookie:          the caller's name for the registration
 * @hint_start:      with @hits == 1, start of that invalidation, clipped
 * @hint_end:        with @hits == 1, end of that invalidation, clipped
 * @hits:            invalidations since last reported, saturating at
 *                   UMMUNOTIFY_HITS_MANY
 */
struct ummunotify_reg {
	struct rb_node		it_node;
	u64			it_subtree_last;
	struct rb_node		cookie_node;
	struct list_head	queue;
	u64			start;
	u64			end;
	u64			cookie;
	u64			hint_start;
	u64			hint_end;
	unsigned int		hits;
};

/**
 * struct ummunotify_ctx - state of one open /dev/ummunotify
 * @mn:           our subscription to the opener's mm
 * @lock:         guards everything below up to @features
 * @reg_tree:     registrations by range
 * @cookies:      registrations by cookie
 * @queue:        registrations owing a report, oldest first
 * @nr_regs:      registrations held
 * @max_regs:     cap on @nr_regs, from max_registrations at open
 * @generation:   the counter; mirrored to the counter page
 * @last_owed:    a LAST report is due once the queue has emptied
 * @mm_gone:      the mm has been torn down: EOF once drained
 * @used:         the fd has been used, so features can no longer change
 * @features:     negotiated UMMUNOTIFY_FEATURE_* bits
 * @read_mutex:   serialises readers against unregister
 * @wait:         readers and pollers
 * @fasync:       O_ASYNC subscribers
 * @counter_page: the page userspace maps; holds @generation at offset 0
 */
struct ummunotify_ctx {
	struct mmu_notifier	mn;
	spinlock_t		lock;	/* the only lock on the notifier path */
	struct rb_root_cached	reg_tree;
	struct rb_root		cookies;
	struct list_head	queue;
	unsigned int		nr_regs;
	unsigned int		max_regs;
	u64			generation;
	bool			last_owed;
	bool			mm_gone;
	bool			used;
	u32			features;
	struct mutex		read_mutex;	/* readers vs. unregister */
	wait_queue_head_t	wait;
	struct fasync_struct	*fasync;
	struct page		*counter_page;
};

static struct kmem_cache *ummunotify_reg_cache;

#define REG_START(reg)	((reg)->start)
#define REG_LAST(reg)	((reg)->end - 1)

INTERVAL_TREE_DEFINE(struct ummunotify_reg, it_node, u64, it_subtree_last,
		     REG_START, REG_LAST, static, reg_tree)

static int cookie_cmp_key(const void *key, const struct rb_node *node)
{
	u64 cookie = *(const u64 *)key;
	u64 other = rb_entry(node, struct ummunotify_reg, cookie_node)->cookie;

	if (cookie < other)
		return -1;
	return cookie > other;
}

static int cookie_cmp(struct rb_node *a, const struct rb_node *b)
{
	return cookie_cmp_key(&rb_entry(a, struct ummunotify_reg,
					cookie_node)->cookie, b);
}

#ifndef UMMUNOTIFY_HAVE_VM_FLAGS_MOD
/* Before 6.3, vm_flags was written directly. */
static inline void vm_flags_mod(struct vm_area_struct *vma,
				vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

static void ummunotify_set_counter(struct ummunotify_ctx *ctx)
{
	u64 *counter = page_address(ctx->counter_page);

	/* Userspace reads it with a plain load, possibly while we store. */
	WRITE_ONCE(*counter, ctx->generation);
}

static bool ummunotify_pending(const struct ummunotify_ctx *ctx)
{
	return !list_empty(&ctx->queue) || ctx->last_owed;
}

static bool ummunotify_readable(struct ummunotify_ctx *ctx)
{
	bool readable;

	spin_lock(&ctx->lock);
	readable = ummunotify_pending(ctx) || ctx->mm_gone;
	spin_unlock(&ctx->lock);
	return readable;
}

/*
 * Pure protection changes (mprotect, NUMA hinting, the write-protection taken
 * at fork and for writeback, soft-dirty tracking) leave the same pages behind
 * every address, so a registration stays valid.  Reporting them would only
 * make caches re-register for nothing; the copy-on-write that may follow a
 * fork is reported when it happens.
 */
static bool ummunotify_event_changes_pages(enum mmu_notifier_event event)
{
	switch (event) {
	case MMU_NOTIFY_PROTECTION_VMA:
	case MMU_NOTIFY_PROTECTION_PAGE:
	case MMU_NOTIFY_SOFT_DIRTY:
		return false;
	default:
		return true;
	}
}

static void ummunotify_reg_hit(struct ummunotify_ctx *ctx,
			       struct ummunotify_reg *reg, u64 start, u64 end)
{
	if (reg->hits < UMMUNOTIFY_HITS_MANY)
		reg->hits++;
	if (reg->hits == 1) {
		reg->hint_start = max(start, reg->start);
		reg->hint_end = min(end, reg->end);
	}
	if (list_empty(&reg->queue))
		list_add_tail(&reg->queue, &ctx->queue);
}

static int ummunotify_invalidate_range_start(struct mmu_notifier *mn,
					     const struct mmu_notifier_range *range)
{
	struct ummunotify_ctx *ctx = container_of(mn, struct ummunotify_ctx, mn);
	struct ummunotify_reg *reg;
	u64 last = range->end - 1;
	bool hit = false;

	if (!ummunotify_event_changes_pages(range->event))
		return 0;

	spin_lock(&ctx->lock);
	for (reg = reg_tree_iter_first(&ctx->reg_tree, range->start, last);
	     reg; reg = reg_tree_iter_next(reg, range->start, last)) {
		ummunotify_reg_hit(ctx, reg, range->start, range->end);
		hit = true;
	}
	if (hit) {
		/* Bumped here, so before the invalidating syscall returns. */
		ctx->generation++;
		ummunotify_set_counter(ctx);
		ctx->last_owed = true;
	}
	spin_unlock(&ctx->lock);

	if (hit) {
		wake_up_interruptible(&ctx->wait);
		kill_fasync(&ctx->fasync, SIGIO, POLL_IN);
	}
	return 0;
}

/*
 * Called at exit_mmap(), or from mmu_notifier_unregister() at close.  Queued
 * reports stay readable; once drained, read() returns 0 and poll says HUP.
 */
static void ummunotify_mm_release(struct mmu_notifier *mn,
				  struct mm_struct *mm)
{
	struct ummunotify_ctx *ctx = container_of(mn, struct ummunotify_ctx, mn);

	spin_lock(&ctx->lock);
	ctx->mm_gone = true;
	spin_unlock(&ctx->lock);

	wake_up_interruptible(&ctx->wait);
	kill_fasync(&ctx->fasync, SIGIO, POLL_HUP);
}

static const struct mmu_notifier_ops ummunotify_mn_ops = {
	.release		= ummunotify_mm_release,
	.invalidate_range_start	= ummunotify_invalidate_range_start,
};

/*
 * Move up to @room reports off the queue into @ev, remembering in @src which
 * registration each came from (NULL for LAST) so that a failed copy can put
 * them back.  Returns how many; *@last says whether the LAST report is among
 * them, which ends the read.
 */
static size_t ummunotify_take_reports(struct ummunotify_ctx *ctx,
				      struct ummunotify_event *ev,
				      struct ummunotify_reg **src,
				      size_t room, bool *last)
{
	struct ummunotify_reg *reg;
	size_t n = 0;

	spin_lock(&ctx->lock);
	while (n < room && !list_empty(&ctx->queue)) {
		reg = list_first_entry(&ctx->queue, struct ummunotify_reg,
				       queue);
		list_del_init(&reg->queue);

		ev[n].type = UMMUNOTIFY_EVENT_TYPE_INVAL;
		if (reg->hits == 1) {
			ev[n].flags = UMMUNOTIFY_EVENT_FLAG_HINT;
			ev[n].hint_start = reg->hint_start;
			ev[n].hint_end = reg->hint_end;
		} else {
			ev[n].flags = 0;
			ev[n].hint_start = reg->start;
			ev[n].hint_end = reg->end;
		}
		ev[n].user_cookie_counter = reg->cookie;
		src[n++] = reg;
		reg->hits = 0;
	}
	if (n < room && list_empty(&ctx->queue) && ctx->last_owed) {
		ev[n].type = UMMUNOTIFY_EVENT_TYPE_LAST;
		ev[n].flags = 0;
		ev[n].hint_start = 0;
		ev[n].hint_end = 0;
		ev[n].user_cookie_counter = ctx->generation;
		src[n++] = NULL;
		ctx->last_owed = false;
		*last = true;
	}
	spin_unlock(&ctx->lock);
	return n;
}

/*
 * Undo ummunotify_take_reports() after copy_to_user() failed.  read_mutex is
 * held, so no registration in @src can have been unregistered meanwhile, but
 * it may have been hit again: then two or more invalidations are owed.
 */
static void ummunotify_requeue_reports(struct ummunotify_ctx *ctx,
				       const struct ummunotify_event *ev,
				       struct ummunotify_reg **src, size_t n)
{
	struct ummunotify_reg *reg;

	spin_lock(&ctx->lock);
	while (n--) {
		reg = src[n];
		if (!reg) {
			ctx->last_owed = true;
		} else if (!list_empty(&reg->queue)) {
			reg->hits = UMMUNOTIFY_HITS_MANY;
		} else {
			reg->hits = ev[n].flags & UMMUNOTIFY_EVENT_FLAG_HINT ?
				    1 : UMMUNOTIFY_HITS_MANY;
			reg->hint_start = ev[n].hint_start;
			reg->hint_end = ev[n].hint_end;
			list_add(&reg->queue, &ctx->queue);
		}
	}
	spin_unlock(&ctx->lock);
}

static ssize_t ummunotify_read(struct file *file, char __user *buf,
			       size_t count, loff_t *pos)
{
	struct ummunotify_ctx *ctx = file->private_data;
	struct ummunotify_event ev[UMMUNOTIFY_READ_BATCH];
	struct ummunotify_reg *src[UMMUNOTIFY_READ_BATCH];
	size_t room = count / sizeof(*ev);
	size_t done = 0, n;
	bool last = false;
	int ret;

	if (!room)
		return -EINVAL;

	spin_lock(&ctx->lock);
	ctx->used = true;
	spin_unlock(&ctx->lock);

	for (;;) {
		ret = mutex_lock_interruptible(&ctx->read_mutex);
		if (ret)
			return ret;
		/* Only holders of read_mutex empty the queue: this stays true. */
		if (ummunotify_readable(ctx))
			break;
		mutex_unlock(&ctx->read_mutex);

		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(ctx->wait,
					       ummunotify_readable(ctx));
		if (ret)
			return ret;
	}

	while (done < room && !last) {
		n = ummunotify_take_reports(ctx, ev, src,
					    min_t(size_t, room - done,
						  UMMUNOTIFY_READ_BATCH),
					    &last);
		if (!n)
			break;
		if (copy_to_user(buf + done * sizeof(*ev), ev,
				 n * sizeof(*ev))) {
			ummunotify_requeue_reports(ctx, ev, src, n);
			mutex_unlock(&ctx->read_mutex);
			return done ? done * sizeof(*ev) : -EFAULT;
		}
		done += n;
	}
	mutex_unlock(&ctx->read_mutex);

	/* Nothing taken although readable: the mm is gone and drained, EOF. */
	return done * sizeof(*ev);
}

static __poll_t ummunotify_poll(struct file *file, poll_table *wait)
{
	struct ummunotify_ctx *ctx = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ctx->wait, wait);

	spin_lock(&ctx->lock);
	if (ummunotify_pending(ctx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ctx->mm_gone)
		mask |= EPOLLHUP;
	spin_unlock(&ctx->lock);

	return mask;
}

static int ummunotify_fasync(int fd, struct file *file, int on)
{
	struct ummunotify_ctx *ctx = file->private_data;

	return fasync_helper(fd, file, on, &ctx->fasync);
}

static long ummunotify_exchange_features(struct ummunotify_ctx *ctx,
					 u32 __user *arg)
{
	u32 wanted, granted;
	bool used;

	if (get_user(wanted, arg))
		return -EFAULT;
	granted = wanted & UMMUNOTIFY_FEATURES;

	spin_lock(&ctx->lock);
	used = ctx->used;
	spin_unlock(&ctx->lock);
	if (used)
		return -EINVAL;

	if (put_user(granted, arg))
		return -EFAULT;

	spin_lock(&ctx->lock);
	used = ctx->used;
	if (!used) {
		ctx->used = true;
		ctx->features = granted;
	}
	spin_unlock(&ctx->lock);

	return used ? -EINVAL : 0;
}

static long ummunotify_register_region(struct ummunotify_ctx *ctx,
				       void __user *arg)
{
	struct ummunotify_register_ioctl req;
	struct ummunotify_reg *reg;
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	/* req.flags and req.reserved are ignored: v3 users leave them unset. */
	if (req.start >= req.end || req.end > ctx->mn.mm->task_size)
		return -EINVAL;

	reg = kmem_cache_zalloc(ummunotify_reg_cache, GFP_KERNEL);
	if (!reg)
		return -ENOMEM;
	reg->start = req.start;
	reg->end = req.end;
	reg->cookie = req.user_cookie;
	INIT_LIST_HEAD(&reg->queue);

	spin_lock(&ctx->lock);
	ctx->used = true;
	if (ctx->mm_gone) {
		ret = -ESRCH;
	} else if (ctx->nr_regs >= ctx->max_regs) {
		ret = -ENOSPC;
	} else if (rb_find_add(&reg->cookie_node, &ctx->cookies, cookie_cmp)) {
		ret = -EINVAL;
	} else {
		reg_tree_insert(reg, &ctx->reg_tree);
		ctx->nr_regs++;
		ret = 0;
	}
	spin_unlock(&ctx->lock);

	if (ret)
		kmem_cache_free(ummunotify_reg_cache, reg);
	return ret;
}

static long ummunotify_unregister_region(struct ummunotify_ctx *ctx,
					 u64 __user *arg)
{
	struct ummunotify_reg *reg = NULL;
	struct rb_node *node;
	u64 cookie;

	if (get_user(cookie, arg))
		return -EFAULT;

	mutex_lock(&ctx->read_mutex);
	spin_lock(&ctx->lock);
	ctx->used = true;
	node = rb_find(&cookie, &ctx->cookies, cookie_cmp_key);
	if (node) {
		reg = rb_entry(node, struct ummunotify_reg, cookie_node);
		rb_erase(&reg->cookie_node, &ctx->cookies);
		reg_tree_remove(reg, &ctx->reg_tree);
		list_del_init(&reg->queue);
		ctx->nr_regs--;
	}
	spin_unlock(&ctx->lock);
	mutex_unlock(&ctx->read_mutex);

	if (!reg)
		return -EINVAL;
	kmem_cache_free(ummunotify_reg_cache, reg);
	return 0;
}

static int ummunotify_map_counter(struct vm_area_struct *vma,
				  struct page *page)
{
	if (vma->vm_end - vma->vm_start != PAGE_SIZE || vma->vm_pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;

	/* Read-only for good: no mprotect(PROT_WRITE), no mremap growth. */
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE);
	return vm_insert_page(vma, vma->vm_start, page);
}

static int ummunotify_counter_mmap(struct file *file,
				   struct vm_area_struct *vma)
{
	return ummunotify_map_counter(vma, file->private_data);
}

static int ummunotify_counter_release(struct inode *inode, struct file *file)
{
	put_page(file->private_data);
	return 0;
}

/*
 * The counter-only fd holds a reference on the page alone, not on the
 * context, so it outlives the control fd harmlessly.  It has no read and no
 * ioctl: handing it out hands out nothing but the counter.
 */
static const struct file_operations ummunotify_counter_fops = {
	.owner		= THIS_MODULE,
	.mmap		= ummunotify_counter_mmap,
	.release	= ummunotify_counter_release,
};

static long ummunotify_get_counter_fd(struct ummunotify_ctx *ctx)
{
	bool enabled;
	int fd;

	spin_lock(&ctx->lock);
	ctx->used = true;
	enabled = ctx->features & UMMUNOTIFY_FEATURE_COUNTER_FD;
	spin_unlock(&ctx->lock);
	if (!enabled)
		return -EINVAL;

	get_page(ctx->counter_page);
	fd = anon_inode_getfd("[ummunotify-counter]", &ummunotify_counter_fops,
			      ctx->counter_page, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		put_page(ctx->counter_page);
	return fd;
}

static long ummunotify_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct ummunotify_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case UMMUNOTIFY_EXCHANGE_FEATURES:
		return ummunotify_exchange_features(ctx, uarg);
	case UMMUNOTIFY_REGISTER_REGION:
		return ummunotify_register_region(ctx, uarg);
	case UMMUNOTIFY_UNREGISTER_REGION:
		return ummunotify_unregister_region(ctx, uarg);
	case UMMUNOTIFY_GET_COUNTER_FD:
		return ummunotify_get_counter_fd(ctx);
	default:
		return -ENOTTY;
	}
}

static int ummunotify_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ummunotify_ctx *ctx = file->private_data;

	spin_lock(&ctx->lock);
	ctx->used = true;
	spin_unlock(&ctx->lock);

	return ummunotify_map_counter(vma, ctx->counter_page);
}

static int ummunotify_open(struct inode *inode, struct file *file)
{
	struct ummunotify_ctx *ctx;
	int ret;

	/* Write access would mean nothing; v3 refused it, so do we. */
	if ((file->f_flags & O_ACCMODE) != O_RDONLY)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	/*
	 * Not __GFP_ACCOUNT: the page is mapped into userspace, and one page
	 * per open file is already bounded by the caller's fd limit.
	 */
	ctx->counter_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!ctx->counter_page) {
		ret = -ENOMEM;
		goto err_free_ctx;
	}

	spin_lock_init(&ctx->lock);
	ctx->reg_tree = RB_ROOT_CACHED;
	ctx->cookies = RB_ROOT;
	INIT_LIST_HEAD(&ctx->queue);
	ctx->max_regs = READ_ONCE(max_registrations);
	mutex_init(&ctx->read_mutex);
	init_waitqueue_head(&ctx->wait);
	ctx->mn.ops = &ummunotify_mn_ops;

	ret = mmu_notifier_register(&ctx->mn, current->mm);
	if (ret)
		goto err_free_page;

	file->private_data = ctx;
	return stream_open(inode, file);

err_free_page:
	put_page(ctx->counter_page);
err_free_ctx:
	kfree(ctx);
	return ret;
}

static int ummunotify_release(struct inode *inode, struct file *file)
{
	struct ummunotify_ctx *ctx = file->private_data;
	struct ummunotify_reg *reg, *next;

	/* Waits out running callbacks; none can start after it returns. */
	mmu_notifier_unregister(&ctx->mn, ctx->mn.mm);

	/* Nothing can reach the trees any more; a million entries is fine. */
	rbtree_postorder_for_each_entry_safe(reg, next, &ctx->cookies,
					     cookie_node) {
		kmem_cache_free(ummunotify_reg_cache, reg);
		cond_resched();
	}

	put_page(ctx->counter_page);
	mutex_destroy(&ctx->read_mutex);
	kfree(ctx);
	return 0;
}

/* .owner pins the module while any fd is open, so rmmod then fails. */
static const struct file_operations ummunotify_fops = {
	.owner		= THIS_MODULE,
	.open		= ummunotify_open,
	.release	= ummunotify_release,
	.read		= ummunotify_read,
	.poll		= ummunotify_poll,
	.fasync		= ummunotify_fasync,
	.unlocked_ioctl	= ummunotify_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= ummunotify_mmap,
};

static struct miscdevice ummunotify_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ummunotify",
	.fops	= &ummunotify_fops,
	/* Any user may watch its own address space. */
	.mode	= 0666,
};

static int __init ummunotify_init(void)
{
	int ret;

	/* SLAB_ACCOUNT: registrations are charged to the caller's memcg. */
	ummunotify_reg_cache = KMEM_CACHE(ummunotify_reg, SLAB_ACCOUNT);
	if (!ummunotify_reg_cache)
		return -ENOMEM;

	ret = misc_register(&ummunotify_misc);
	if (ret) {
		kmem_cache_destroy(ummunotify_reg_cache);
		return ret;
	}
	return 0;
}

static void __exit ummunotify_exit(void)
{
	misc_deregister(&ummunotify_misc);
	kmem_cache_destroy(ummunotify_reg_cache);
}

module_init(ummunotify_init);
module_exit(ummunotify_exit);

MODULE_DESCRIPTION("Userspace notification of MMU invalidations of watched ranges");
MODULE_AUTHOR("The ummunotify developers");
MODULE_LICENSE("GPL");
