/* lockfile.h — an advisory lock file that names its holder, for settings
 * that are global to the machine (osnoise/cpus and osnoise/options): the
 * second user is refused with who holds it, and the lock goes with the
 * holder's last file descriptor (flock), so a crash never leaves it taken.
 *
 * Usage:
 *   _cleanup_close_ int fd = -EBADF;
 *   _cleanup_free_ char *holder = NULL;
 *   r = lockfile_take("/run/lock/tlbisol-noise.lock", "tlbctl noise", &fd, &holder);
 *   if (r == -EBUSY) ... holder is "tlbctl noise (PID 1234)"
 */
#pragma once

/* Takes the lock without waiting and writes "<pid> <what>" into the file.
 * -EBUSY if another process holds it (*ret_holder: "<what> (PID <pid>)" as
 * that process wrote it, or "another process"), else 0 with *ret_fd
 * holding the lock, or -errno. */
int lockfile_take(const char *path, const char *what, int *ret_fd, char **ret_holder);
