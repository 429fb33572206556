/* util.h — tiny helpers shared by all tlbisol code: scope-bound cleanup,
 * TAKE_PTR, ELEMENTSOF, streq, NULL-terminated string vectors (strv).
 * Usage: _cleanup_free_ char *s = NULL; ... return TAKE_PTR(s); */
#pragma once
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define startswith(s, prefix) (strncmp((s), (prefix), strlen(prefix)) == 0)
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })
#define TAKE_PTR_FD(fd) ({ int _fd_ = (fd); (fd) = -EBADF; _fd_; })

static inline void freep(void *p) { free(*(void **) p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void strv_free(char **v) {
        for (char **i = v; v && *i; i++)
                free(*i);
        free(v);
}
static inline void strv_freep(char ***v) { strv_free(*v); }
static inline size_t strv_length(char **v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

/* CLOCK_MONOTONIC in nanoseconds (tracefs' "mono" clock reads the same). */
static inline uint64_t mono_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* The strings of v joined by sep, malloc'ed ("" for an empty vector); NULL
 * when out of memory. */
static inline char *strv_join(char **v, const char *sep) {
        size_t len = 1, off = 0;
        char *s;

        for (char **i = v; v && *i; i++)
                len += strlen(*i) + strlen(sep);
        s = malloc(len);
        if (!s)
                return NULL;
        s[0] = 0;
        for (char **i = v; v && *i; i++)
                off += (size_t) sprintf(s + off, "%s%s", i == v ? "" : sep, *i);
        return s;
}

/* Appends s (taken; NULL: -ENOMEM) to the vector *v of *n strings, kept
 * NULL-terminated. On failure s is freed and *v is as it was. */
static inline int strv_push(char ***v, size_t *n, char *s) {
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

/* Replaces *dst by the formatted text; on allocation failure keeps *dst. */
static inline void free_and_vformat(char **dst, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static inline void free_and_vformat(char **dst, const char *fmt, va_list ap) {
        char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                return;
        free(*dst);
        *dst = s;
}
