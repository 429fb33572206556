/* isolation.c — the isolated CPUs and their sources; see isolation.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "isolation.h"
#include "util.h"

#define PARTITION_MAX_DEPTH 64

/* ---- the cgroup tree ---- */

void partitions_free(struct partition *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(p[i].path);
        free(p);
}

struct scan {
        const struct fsroot *fs;
        const char *mount;
        unsigned ncpus;
        struct partition *parts;
        size_t n_parts;
        char **dirs;
        size_t n_dirs;
        bool want_dirs;
};

static int push_dir(struct scan *sc, const char *cg) {
        char **n = realloc(sc->dirs, (sc->n_dirs + 2) * sizeof(char *));

        if (!n)
                return -ENOMEM;
        sc->dirs = n;
        n[sc->n_dirs] = strdup(cg);
        if (!n[sc->n_dirs])
                return -ENOMEM;
        n[++sc->n_dirs] = NULL;
        return 0;
}

/* abs is the directory below the fsroot, cg its cgroup path ("/x/y"). */
static int read_partition(struct scan *sc, const char *abs, const char *cg) {
        _cleanup_free_ char *file = NULL, *mode = NULL;
        struct partition *p;
        struct cpumap cpus;
        int r;

        if (asprintf(&file, "%s/cpuset.cpus.partition", abs) < 0)
                return -ENOMEM;
        if (fsroot_read_line(sc->fs, file, &mode) < 0 || !streq(mode, "isolated"))
                return 0;
        free(file);
        if (asprintf(&file, "%s/cpuset.cpus.effective", abs) < 0)
                return -ENOMEM;
        r = sysinfo_read_cpulist(sc->fs, file, sc->ncpus, &cpus);
        if (r == -ENOENT) {
                free(file);
                if (asprintf(&file, "%s/cpuset.cpus", abs) < 0)
                        return -ENOMEM;
                r = sysinfo_read_cpulist(sc->fs, file, sc->ncpus, &cpus);
        }
        if (r < 0)
                return 0;       /* removed meanwhile, or unreadable: not a partition we can name */
        p = realloc(sc->parts, (sc->n_parts + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        sc->parts = p;
        p[sc->n_parts].path = strdup(cg);
        if (!p[sc->n_parts].path)
                return -ENOMEM;
        p[sc->n_parts++].cpus = cpus;
        return 0;
}

static bool is_dir(const struct scan *sc, const char *abs, const struct dirent *de) {
        _cleanup_free_ char *full = NULL;
        DIR *d = NULL;

        if (de->d_type == DT_DIR)
                return true;
        if (de->d_type != DT_UNKNOWN || asprintf(&full, "%s/%s", abs, de->d_name) < 0)
                return false;
        if (fsroot_opendir(sc->fs, full, &d) < 0)
                return false;
        closedir(d);
        return true;
}

static int scan_dir(struct scan *sc, const char *cg, unsigned depth) {
        _cleanup_free_ char *abs = NULL;
        bool root = streq(cg, "/");
        struct dirent *de;
        DIR *d = NULL;
        int r;

        if (depth > PARTITION_MAX_DEPTH)
                return 0;
        if (asprintf(&abs, "%s%s", sc->mount, root ? "" : cg) < 0)
                return -ENOMEM;
        if (sc->want_dirs) {
                r = push_dir(sc, cg);
                if (r < 0)
                        return r;
        }
        if (!root) {
                r = read_partition(sc, abs, cg);
                if (r < 0)
                        return r;
        }

        r = fsroot_opendir(sc->fs, abs, &d);
        if (r < 0)
                return r == -ENOENT && !root ? 0 : r;   /* raced with rmdir */
        r = 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_name[0] == '.' || !is_dir(sc, abs, de))
                        continue;
                if (asprintf(&sub, "%s/%s", root ? "" : cg, de->d_name) < 0)
                        r = -ENOMEM;
                else
                        r = scan_dir(sc, sub, depth + 1);
        }
        closedir(d);
        return r;
}

static int cmp_part(const void *a, const void *b) {
        return strcmp(((const struct partition *) a)->path, ((const struct partition *) b)->path);
}

int partitions_scan(const struct fsroot *fs, const char *mount, unsigned ncpus,
                    struct partition **ret, size_t *ret_n, char ***ret_dirs) {
        struct scan sc = { .fs = fs, .mount = mount ? mount : SYSINFO_CGROUP2_MOUNT, .ncpus = ncpus,
                           .want_dirs = !!ret_dirs };
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        r = scan_dir(&sc, "/", 0);
        if (r < 0) {
                partitions_free(sc.parts, sc.n_parts);
                strv_free(sc.dirs);
                return r;
        }
        if (sc.n_parts)
                qsort(sc.parts, sc.n_parts, sizeof(*sc.parts), cmp_part);
        *ret = sc.parts;
        *ret_n = sc.n_parts;
        if (ret_dirs)
                *ret_dirs = sc.dirs;
        return 0;
}

/* ---- facts ---- */

void isolation_facts_done(struct isolation_facts *f) {
        if (!f)
                return;
        partitions_free(f->parts, f->n_parts);
        f->parts = NULL;
        f->n_parts = 0;
}

int isolation_facts_read(const struct fsroot *fs, struct isolation_facts *ret, char ***ret_dirs) {
        struct isolation_facts f = {};
        int r;

        r = sysinfo_read(fs, &f.sys);
        if (r < 0)
                return r;
        r = partitions_scan(fs, NULL, f.sys.ncpus, &f.parts, &f.n_parts, ret_dirs);
        if (r < 0 && r != -ENOENT)
                f.partitions_error = r;
        isolation_facts_done(ret);
        *ret = f;
        return 0;
}

/* ---- sources ---- */

void isolation_done(struct isolation *iso) {
        if (!iso)
                return;
        for (size_t i = 0; i < iso->n_sources; i++)
                free(iso->sources[i].name);
        free(iso->sources);
        iso->sources = NULL;
        iso->n_sources = 0;
}

void isolcpus_flags_format(unsigned flags, char *buf, size_t len) {
        static const struct { unsigned flag; const char *name; } names[] = {
                { ISOLCPUS_NOHZ, "nohz" },
                { ISOLCPUS_DOMAIN, "domain" },
                { ISOLCPUS_MANAGED_IRQ, "managed_irq" },
        };
        size_t off = 0;

        if (!len)
                return;
        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (flags & names[i].flag) {
                        int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i].name);

                        if (n < 0 || (size_t) n >= len - off)
                                return;
                        off += (size_t) n;
                }
}

static int add_source(struct isolation *iso, enum isolation_kind kind, const char *name,
                      const struct cpumap *cpus) {
        struct iso_source *n;

        if (cpumap_is_empty(cpus))
                return 0;
        n = realloc(iso->sources, (iso->n_sources + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        iso->sources = n;
        n[iso->n_sources] = (struct iso_source) { .kind = kind, .name = strdup(name), .cpus = *cpus };
        if (!n[iso->n_sources].name)
                return -ENOMEM;
        iso->n_sources++;
        cpumap_or(&iso->isolated, &iso->isolated, cpus);
        return 0;
}

static int add_boot_sources(struct isolation *iso, const struct cpu_isolation *sys) {
        const struct cmdline_isolation *cl = &sys->cmdline;
        int r = 0;

        if (sys->has_nohz_full_file && !cpumap_is_empty(&sys->nohz_full))
                r = add_source(iso, ISOLATION_NOHZ_FULL, "nohz_full", &sys->nohz_full);
        else if (cl->nohz_full.present && !cl->nohz_full.error)
                r = add_source(iso, ISOLATION_NOHZ_FULL, "nohz_full", &cl->nohz_full.cpus);
        if (r < 0)
                return r;

        if (cl->isolcpus.present && !cl->isolcpus.error && !cpumap_is_empty(&cl->isolcpus.cpus)) {
                char flags[64], name[80];

                isolcpus_flags_format(cl->isolcpus_flags ? cl->isolcpus_flags : ISOLCPUS_DOMAIN,
                                      flags, sizeof(flags));
                snprintf(name, sizeof(name), "isolcpus:%s", flags);
                return add_source(iso, ISOLATION_ISOLCPUS, name, &cl->isolcpus.cpus);
        }
        if (sys->has_isolated_file)
                return add_source(iso, ISOLATION_ISOLCPUS, "isolcpus:domain", &sys->isolated);
        return 0;
}

static int add_cgroup_sources(struct isolation *iso, const struct isolation_facts *f) {
        const struct cmdline_isolation *cl = &f->sys.cmdline;
        struct cpumap explained = f->sys.isolated, rest;
        int r;

        for (size_t i = 0; i < f->n_parts; i++) {
                _cleanup_free_ char *name = NULL;

                if (asprintf(&name, "partition:%s", f->parts[i].path) < 0)
                        return -ENOMEM;
                r = add_source(iso, ISOLATION_PARTITION, name, &f->parts[i].cpus);
                if (r < 0)
                        return r;
                cpumap_or(&explained, &explained, &f->parts[i].cpus);
        }
        /* Since 6.8 the root's cpuset.cpus.isolated also lists the isolcpus=
         * domain CPUs: name the cgroup only for what nothing else explains. */
        if (!f->sys.has_cgroup_isolated)
                return 0;
        if (cl->isolcpus.present && !cl->isolcpus.error)
                cpumap_or(&explained, &explained, &cl->isolcpus.cpus);
        cpumap_andnot(&rest, &f->sys.cgroup_isolated, &explained);
        return add_source(iso, ISOLATION_CGROUP_ISOLATED, "cgroup-isolated", &rest);
}

int isolation_compute(const struct isolation_facts *f, const struct cpumap *runtime,
                      const struct cpumap *config, struct isolation *ret) {
        struct isolation iso = {};
        int r;

        if (!f || !ret)
                return -EINVAL;
        iso.ncpus = f->sys.ncpus;
        iso.online = f->sys.online;
        r = add_boot_sources(&iso, &f->sys);
        if (r >= 0)
                r = add_cgroup_sources(&iso, f);
        if (r >= 0 && runtime)
                r = add_source(&iso, ISOLATION_RUNTIME, "runtime", runtime);
        if (r >= 0 && config)
                r = add_source(&iso, ISOLATION_CONFIG, "config", config);
        if (r < 0) {
                isolation_done(&iso);
                return r;
        }
        cpumap_andnot(&iso.housekeeping, &f->sys.online, &iso.isolated);
        isolation_done(ret);
        *ret = iso;
        return cpumap_is_empty(&iso.housekeeping) ? -EXFULL : 0;
}

const struct iso_source *isolation_find(const struct isolation *iso, enum isolation_kind kind,
                                        unsigned cpu) {
        for (size_t i = 0; i < iso->n_sources; i++)
                if (iso->sources[i].kind == kind && cpumap_test(&iso->sources[i].cpus, cpu))
                        return &iso->sources[i];
        return NULL;
}

int isolation_sources_of(const struct isolation *iso, unsigned cpu, char ***ret) {
        _cleanup_strv_free_ char **v = calloc(iso->n_sources + 1, sizeof(char *));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < iso->n_sources; i++) {
                if (!cpumap_test(&iso->sources[i].cpus, cpu))
                        continue;
                v[n] = strdup(iso->sources[i].name);
                if (!v[n++])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}
