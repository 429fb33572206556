/* fsroot.h — the one layer through which tlbisol touches /proc, /sys and
 * cgroupfs, with an injectable root so that code runs against fixture trees.
 *
 * Usage:
 *   _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
 *   r = fsroot_new_from_env(&fs);            // $TLBISOL_ROOT or the real "/"
 *   _cleanup_free_ char *s = NULL;
 *   r = fsroot_read_line(fs, "/sys/devices/system/cpu/isolated", &s);
 *   r = fsroot_write(fs, "/proc/irq/24/smp_affinity_list", "0-1\n");
 *   if (r < 0 && !fsroot_write_error_is_transient(r)) ... give up on IRQ 24
 *
 * Paths are absolute as on the real system ("/proc/..."); the root prefix is
 * prepended. A NULL struct fsroot * means the real root. Every function
 * returns 0 (or a count/boolean as documented) or a negative errno, and
 * leaves out-parameters untouched on failure. */
#pragma once
#include <dirent.h>
#include <stdbool.h>

#define FSROOT_ENV "TLBISOL_ROOT"
#define FSROOT_READ_MAX (64u << 20)     /* files larger than this: -EFBIG */

struct fsroot;

/* prefix NULL, "" or "/" is the real root; trailing slashes are dropped. */
int fsroot_new(const char *prefix, struct fsroot **ret);
/* Root from $TLBISOL_ROOT, the real root when unset or empty. */
int fsroot_new_from_env(struct fsroot **ret);
void fsroot_free(struct fsroot *fs);
static inline void fsroot_freep(struct fsroot **fs) { fsroot_free(*fs); }
/* "" for the real root. */
const char *fsroot_prefix(const struct fsroot *fs);

/* Full path of path (which must start with '/') under the root; malloc'ed. */
int fsroot_path(const struct fsroot *fs, const char *path, char **ret);

/* Whole file, NUL-terminated (a file containing NUL bytes reads short). */
int fsroot_read(const struct fsroot *fs, const char *path, char **ret);
/* First line, without its newline. */
int fsroot_read_line(const struct fsroot *fs, const char *path, char **ret);
/* Writes value as it is, in a single write(2) as echo does (add "\n" if the
 * file wants one); the file is truncated first, as with ">". Returns the
 * write's -errno: sysfs reports the kernel's verdict there (e.g. -EIO for a
 * managed IRQ). A short write is -EIO. The file must exist (no O_CREAT). */
int fsroot_write(const struct fsroot *fs, const char *path, const char *value);
/* fn(fs, arg) run in a child process pinned to CPU cpu, for files whose
 * kernel handler works on the state of the CPU they name and is only safe
 * with a task queued there (the 6.12 fair server's: daemon/tlbisold-fair.h).
 * Returns fn's result (0 or a negative errno; it must not return below
 * -255). Under a fixture root fn runs in place (no such CPU to run on).
 * -EINVAL when the CPU cannot be run on (offline, outside our cpuset);
 * -ETIMEDOUT when fn has not finished within 5 s (a CPU that a real-time
 * task keeps busy may not let a fair task run; the task is killed and not
 * waited for; permanent for fsroot_write_error_is_transient: a retry would
 * only queue another). The task runs SCHED_OTHER. */
int fsroot_run_on_cpu(const struct fsroot *fs, unsigned cpu,
                      int (*fn)(const struct fsroot *fs, void *arg), void *arg);
/* 1 if path exists, 0 if not (ENOENT, ENOTDIR), else -errno. */
int fsroot_exists(const struct fsroot *fs, const char *path);
int fsroot_opendir(const struct fsroot *fs, const char *path, DIR **ret);
/* Entry names of a directory, sorted, without "." and "..", as a
 * NULL-terminated vector; free with strv_free() (util.h). */
int fsroot_list(const struct fsroot *fs, const char *path, char ***ret);

/* Triage of a negative errno from fsroot_write(), as irqbalance activate.c
 * does for smp_affinity: true for errors worth retrying later (-ENOSPC
 * vector space full, -EAGAIN, -EINTR, -EBUSY change in progress, -ERANGE CPU
 * offline, -ENOMEM); false for permanent ones (-EIO managed IRQ or chip
 * cannot move, -EINVAL, -EPERM, -ENOENT, anything else). */
bool fsroot_write_error_is_transient(int r);
