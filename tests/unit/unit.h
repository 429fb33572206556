/* unit.h — common includes and fixture helpers for the cmocka unit tests.
 * Fixtures live in tests/fixtures; $TLBISOL_FIXTURES overrides the path
 * compiled in by tests/unit/build.mk. */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpumap.h"
#include "fsroot.h"
#include "util.h"

#ifndef TLBISOL_FIXTURES
#error "TLBISOL_FIXTURES must be defined (see tests/unit/build.mk)"
#endif

static inline const char *fixture_dir(void) {
        const char *e = getenv("TLBISOL_FIXTURES");

        return e && *e ? e : TLBISOL_FIXTURES;
}

/* malloc'ed "<fixtures>/<rel>" */
static inline char *fixture_path(const char *rel) {
        char *p;

        assert_true(asprintf(&p, "%s/%s", fixture_dir(), rel) >= 0);
        return p;
}

/* A writable copy of tests/fixtures/<tree> in a new /tmp directory (the
 * tests that change files); remove it with fixture_copy_drop(). */
static inline char *fixture_copy(const char *tree) {
        _cleanup_free_ char *src = fixture_path(tree), *cmd = NULL;
        char tmpl[] = "/tmp/tlbisol-test-XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        assert_true(asprintf(&cmd, "cp -a '%s/.' '%s/'", src, tmpl) > 0);
        assert_int_equal(system(cmd), 0);
        return strdup(tmpl);
}

/* Removes a fixture_copy() and frees its name. */
static inline void fixture_copy_drop(char *dir) {
        _cleanup_free_ char *cmd = NULL;

        assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(cmd), 0);
        free(dir);
}

/* Whole fixture file (rel like "interrupts/x86-2cpu.txt"); fails the test if unreadable. */
static inline char *fixture_read(const char *rel) {
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        _cleanup_free_ char *path = NULL;
        char *text = NULL;

        assert_int_equal(fsroot_new(fixture_dir(), &fs), 0);
        assert_true(asprintf(&path, "/%s", rel) >= 0);
        assert_int_equal(fsroot_read(fs, path, &text), 0);
        return text;
}

/* fsroot for a fixture tree such as "root-nohz". */
static inline struct fsroot *fixture_root(const char *tree) {
        _cleanup_free_ char *path = fixture_path(tree);
        struct fsroot *fs = NULL;

        assert_int_equal(fsroot_new(path, &fs), 0);
        return fs;
}

/* Fails the test unless m is the CPU list expected ("0-3,8"). */
static inline void assert_list(const struct cpumap *m, const char *expected) {
        char buf[512];

        assert_int_equal(cpulist_format(m, buf, sizeof(buf)), 0);
        assert_string_equal(buf, expected);
}

/* The set of a CPU list that must parse. */
static inline struct cpumap cpus(const char *list) {
        struct cpumap m;

        assert_int_equal(cpulist_parse(list, 0, &m), 0);
        return m;
}
