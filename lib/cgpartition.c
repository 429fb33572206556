/* cgpartition.c — one cgroup-v2 cpuset partition; see cgpartition.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgpartition.h"
#include "fsroot.h"
#include "sysinfo.h"
#include "util.h"

int cgpart_parse_mode(const char *line, enum cgpart_mode *ret_mode, bool *ret_invalid,
                      char *reason, size_t reasonlen) {
        static const struct { const char *word; enum cgpart_mode mode; } words[] = {
                { "member", CGPART_MEMBER }, { "root", CGPART_ROOT }, { "isolated", CGPART_ISOLATED },
        };
        const char *rest = NULL;
        enum cgpart_mode mode = CGPART_ABSENT;
        bool invalid = false;

        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                size_t n = strlen(words[i].word);

                if (strncmp(line, words[i].word, n) == 0 && (!line[n] || line[n] == ' ' || line[n] == '\n')) {
                        mode = words[i].mode;
                        rest = line + n;
                        break;
                }
        }
        if (!rest)
                return -EINVAL;
        while (*rest == ' ')
                rest++;
        if (reason && reasonlen)
                reason[0] = 0;
        if (strncmp(rest, "invalid", 7) == 0) {
                const char *open = strchr(rest, '('), *close = strrchr(rest, ')');

                if (mode == CGPART_MEMBER)
                        return -EINVAL;
                invalid = true;
                if (open && close && close > open && reason && reasonlen)
                        snprintf(reason, reasonlen, "%.*s", (int) (close - open - 1), open + 1);
        } else if (*rest && *rest != '\n')
                return -EINVAL;
        *ret_mode = mode;
        *ret_invalid = invalid;
        return 0;
}

static int read_cpus(const struct fsroot *fs, const char *dir, const char *file, unsigned ncpus,
                     struct cpumap *ret) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (asprintf(&p, "%s/%s", dir, file) < 0)
                return -ENOMEM;
        r = sysinfo_read_cpulist(fs, p, ncpus, ret);
        if (r == -ENOENT) {
                cpumap_zero(ret);
                return 0;
        }
        return r;
}

int cgpart_read(const struct fsroot *fs, const char *cgpath, unsigned ncpus, struct cgpart *ret) {
        _cleanup_free_ char *dir = NULL, *file = NULL, *line = NULL, *events = NULL;
        struct cgpart p = { .mode = CGPART_ABSENT };
        int r;

        if (!cgpath || cgpath[0] != '/')
                return -EINVAL;
        if (asprintf(&dir, "%s%s", SYSINFO_CGROUP2_MOUNT, streq(cgpath, "/") ? "" : cgpath) < 0)
                return -ENOMEM;
        r = fsroot_exists(fs, dir);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = p;
                return 0;
        }
        if (asprintf(&file, "%s/cpuset.cpus.partition", dir) < 0)
                return -ENOMEM;
        r = fsroot_read_line(fs, file, &line);
        if (r == -ENODEV) {
                /* a cgroup being removed (rmdir after its last task left):
                 * its files answer ENODEV until the directory is gone */
                *ret = p;
                return 0;
        }
        if (r == -ENOENT)
                p.mode = CGPART_NO_CPUSET;
        else if (r < 0)
                return r;
        else {
                r = cgpart_parse_mode(line, &p.mode, &p.invalid, p.reason, sizeof(p.reason));
                if (r < 0)
                        return -EBADMSG;
        }
        r = read_cpus(fs, dir, "cpuset.cpus", ncpus, &p.cpus);
        if (r >= 0)
                r = read_cpus(fs, dir, "cpuset.cpus.effective", ncpus, &p.effective);
        if (r == -ENODEV) {
                *ret = (struct cgpart) { .mode = CGPART_ABSENT };       /* removed meanwhile */
                return 0;
        }
        if (r < 0)
                return r;
        free(file);
        if (asprintf(&file, "%s/cgroup.events", dir) < 0)
                return -ENOMEM;
        if (fsroot_read(fs, file, &events) >= 0)
                p.populated = strstr(events, "populated 1") != NULL;
        *ret = p;
        return 0;
}

void cgpart_describe(const struct cgpart *p, char *buf, size_t len) {
        static const char *const names[] = {
                [CGPART_ABSENT] = "absent", [CGPART_NO_CPUSET] = "without the cpuset controller",
                [CGPART_MEMBER] = "member", [CGPART_ROOT] = "root", [CGPART_ISOLATED] = "isolated",
        };

        if (p->invalid)
                snprintf(buf, len, "%s invalid%s%s%s", names[p->mode], *p->reason ? " (" : "", p->reason,
                         *p->reason ? ")" : "");
        else
                snprintf(buf, len, "%s", names[p->mode]);
}
