/* json-out.c — see json-out.h. */
#include <errno.h>
#include <math.h>
#include <sys/utsname.h>
#include <time.h>

#include "json-out.h"
#include "util.h"

struct json_object *json_envelope_new(const char *command) {
        struct json_object *env = json_object_new_object();
        struct utsname u;
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;

        if (!env)
                return NULL;
        json_object_object_add(env, "format", json_object_new_string("tlbctl"));
        json_object_object_add(env, "format_version", json_object_new_int(TLBCTL_FORMAT_VERSION));
        json_object_object_add(env, "tlbctl_version", json_object_new_string(TLBISOL_VERSION));
        json_object_object_add(env, "command", json_object_new_string(command));
        if (gmtime_r(&now, &tm) && strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
                json_object_object_add(env, "time", json_object_new_string(ts));
        else
                json_object_object_add(env, "time", NULL);
        json_object_object_add(env, "kernel",
                               uname(&u) == 0 ? json_object_new_string(u.release) : NULL);
        return env;
}

static int envelope_print(struct json_object *env, struct json_object *data, FILE *f, int flags) {
        const char *s;
        int r = 0;

        json_object_object_add(env, "data", data);
        s = json_object_to_json_string_ext(env, flags | JSON_C_TO_STRING_NOSLASHESCAPE);
        errno = 0;
        if (!s)
                r = -ENOMEM;
        else if (fprintf(f, "%s\n", s) < 0 || fflush(f) != 0)
                r = errno > 0 ? -errno : -EIO;          /* -ENOSPC on a full disk, not "I/O error" */
        json_object_put(env);
        return r;
}

int json_envelope_print(struct json_object *env, struct json_object *data, FILE *f) {
        return envelope_print(env, data, f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
}

int json_envelope_print_line(struct json_object *env, struct json_object *data, FILE *f) {
        return envelope_print(env, data, f, JSON_C_TO_STRING_PLAIN);
}

struct json_object *json_cpulist(const struct cpumap *m) {
        _cleanup_free_ char *s = NULL;

        if (cpulist_format_alloc(m, &s) < 0)
                return NULL;
        return json_object_new_string(s);
}

struct json_object *json_u64(uint64_t v) {
        return json_object_new_uint64(v);
}

struct json_object *json_rate(double v) {
        if (isnan(v) || v < 0)
                return NULL;
        return json_object_new_double(round(v * 1000.0) / 1000.0);
}
