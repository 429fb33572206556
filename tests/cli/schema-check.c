/* schema-check — validate a JSON document against a JSON Schema, for the
 * CLI tests of tlbctl --json.
 *
 * Usage: schema-check SCHEMA.json [DOCUMENT.json]   (document from stdin if omitted)
 * Exit: 0 valid, 1 invalid (each violation printed with its JSON pointer),
 *       2 usage or a schema keyword this checker does not implement.
 *
 * Implemented (draft 2020-12 subset): type (string or array; "integer" is a
 * number without fraction), properties, required, additionalProperties
 * (boolean or schema), items (schema), minItems, enum, const (strings,
 * numbers, booleans, null), minimum, maximum, pattern (POSIX ERE), $ref to
 * "#/$defs/NAME", oneOf, and the annotations $schema, $id, $comment, title,
 * description. Any other keyword makes the check fail with exit 2, so a
 * schema can never be silently half-checked. */
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static struct json_object *root_schema;
static int errors;
static bool unsupported;
static int quiet;                       /* inside oneOf: count, do not print */

static void violation(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(const char *path, const char *fmt, ...) {
        va_list ap;

        errors++;
        if (quiet)
                return;
        printf("%s: ", *path ? path : "/");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
}

static bool type_is(struct json_object *v, const char *t) {
        enum json_type jt = json_object_get_type(v);

        if (strcmp(t, "null") == 0)
                return jt == json_type_null;
        if (strcmp(t, "boolean") == 0)
                return jt == json_type_boolean;
        if (strcmp(t, "object") == 0)
                return jt == json_type_object;
        if (strcmp(t, "array") == 0)
                return jt == json_type_array;
        if (strcmp(t, "string") == 0)
                return jt == json_type_string;
        if (strcmp(t, "number") == 0)
                return jt == json_type_int || jt == json_type_double;
        if (strcmp(t, "integer") == 0)
                return jt == json_type_int ||
                       (jt == json_type_double && json_object_get_double(v) == (double) (long long) json_object_get_double(v));
        fprintf(stderr, "schema-check: unknown type '%s'\n", t);
        unsupported = true;
        return false;
}

static bool scalar_equal(struct json_object *a, struct json_object *b) {
        enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

        if ((ta == json_type_int || ta == json_type_double) && (tb == json_type_int || tb == json_type_double))
                return json_object_get_double(a) == json_object_get_double(b);
        if (ta != tb)
                return false;
        switch (ta) {
        case json_type_null:
                return true;
        case json_type_boolean:
                return json_object_get_boolean(a) == json_object_get_boolean(b);
        case json_type_string:
                return strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
        default:
                fprintf(stderr, "schema-check: enum/const of objects or arrays is not implemented\n");
                unsupported = true;
                return false;
        }
}

static void check(struct json_object *s, struct json_object *v, const char *path);

static struct json_object *resolve_ref(const char *ref) {
        struct json_object *defs, *t;

        if (strncmp(ref, "#/$defs/", 8) != 0 || !json_object_object_get_ex(root_schema, "$defs", &defs) ||
            !json_object_object_get_ex(defs, ref + 8, &t)) {
                fprintf(stderr, "schema-check: cannot resolve $ref '%s'\n", ref);
                unsupported = true;
                return NULL;
        }
        return t;
}

static void check(struct json_object *s, struct json_object *v, const char *path) {
        if (json_object_get_type(s) == json_type_boolean) {
                if (!json_object_get_boolean(s))
                        violation(path, "%snot allowed here", "");
                return;
        }
        json_object_object_foreach(s, key, val) {
                char sub[1024];

                if (!strcmp(key, "$schema") || !strcmp(key, "$id") || !strcmp(key, "$comment") ||
                    !strcmp(key, "title") || !strcmp(key, "description") || !strcmp(key, "$defs"))
                        continue;
                if (!strcmp(key, "$ref")) {
                        struct json_object *t = resolve_ref(json_object_get_string(val));

                        if (t)
                                check(t, v, path);
                } else if (!strcmp(key, "oneOf")) {
                        int saved = errors, matched = 0;

                        quiet++;
                        for (size_t i = 0; i < json_object_array_length(val); i++) {
                                errors = 0;
                                check(json_object_array_get_idx(val, i), v, path);
                                matched += errors == 0;
                        }
                        quiet--;
                        errors = saved;
                        if (matched != 1)
                                violation(path, "matches %s of the oneOf alternatives (want exactly 1)",
                                          matched ? "more than one" : "none");
                } else if (!strcmp(key, "type")) {
                        bool ok = false;

                        if (json_object_get_type(val) == json_type_array) {
                                for (size_t i = 0; i < json_object_array_length(val); i++)
                                        ok |= type_is(v, json_object_get_string(json_object_array_get_idx(val, i)));
                        } else
                                ok = type_is(v, json_object_get_string(val));
                        if (!ok)
                                violation(path, "wrong type, want %s", json_object_to_json_string(val));
                } else if (!strcmp(key, "properties")) {
                        if (json_object_get_type(v) != json_type_object)
                                continue;
                        json_object_object_foreach(val, pname, pschema) {
                                struct json_object *pv;

                                if (json_object_object_get_ex(v, pname, &pv)) {
                                        snprintf(sub, sizeof(sub), "%s/%s", path, pname);
                                        check(pschema, pv, sub);
                                }
                        }
                } else if (!strcmp(key, "required")) {
                        if (json_object_get_type(v) != json_type_object)
                                continue;
                        for (size_t i = 0; i < json_object_array_length(val); i++) {
                                const char *n = json_object_get_string(json_object_array_get_idx(val, i));

                                if (!json_object_object_get_ex(v, n, NULL))
                                        violation(path, "missing required member '%s'", n);
                        }
                } else if (!strcmp(key, "additionalProperties")) {
                        struct json_object *props = NULL;

                        if (json_object_get_type(v) != json_type_object)
                                continue;
                        json_object_object_get_ex(s, "properties", &props);
                        json_object_object_foreach(v, vname, vval) {
                                if (props && json_object_object_get_ex(props, vname, NULL))
                                        continue;
                                snprintf(sub, sizeof(sub), "%s/%s", path, vname);
                                if (json_object_get_type(val) == json_type_boolean) {
                                        if (!json_object_get_boolean(val))
                                                violation(sub, "member not in the schema%s", "");
                                } else
                                        check(val, vval, sub);
                        }
                } else if (!strcmp(key, "items")) {
                        if (json_object_get_type(v) != json_type_array)
                                continue;
                        for (size_t i = 0; i < json_object_array_length(v); i++) {
                                snprintf(sub, sizeof(sub), "%s/%zu", path, i);
                                check(val, json_object_array_get_idx(v, i), sub);
                        }
                } else if (!strcmp(key, "minItems")) {
                        if (json_object_get_type(v) == json_type_array &&
                            (int64_t) json_object_array_length(v) < json_object_get_int64(val))
                                violation(path, "fewer items than %s", json_object_to_json_string(val));
                } else if (!strcmp(key, "enum")) {
                        bool ok = false;

                        for (size_t i = 0; i < json_object_array_length(val); i++)
                                ok |= scalar_equal(v, json_object_array_get_idx(val, i));
                        if (!ok)
                                violation(path, "not one of %s", json_object_to_json_string(val));
                } else if (!strcmp(key, "const")) {
                        if (!scalar_equal(v, val))
                                violation(path, "not %s", json_object_to_json_string(val));
                } else if (!strcmp(key, "minimum") || !strcmp(key, "maximum")) {
                        enum json_type t = json_object_get_type(v);
                        bool min = key[1] == 'i';

                        if (t != json_type_int && t != json_type_double)
                                continue;
                        if (min ? json_object_get_double(v) < json_object_get_double(val)
                                : json_object_get_double(v) > json_object_get_double(val))
                                violation(path, min ? "below minimum %s" : "above maximum %s",
                                          json_object_to_json_string(val));
                } else if (!strcmp(key, "pattern")) {
                        regex_t re;

                        if (json_object_get_type(v) != json_type_string)
                                continue;
                        if (regcomp(&re, json_object_get_string(val), REG_EXTENDED | REG_NOSUB) != 0) {
                                fprintf(stderr, "schema-check: bad pattern %s\n", json_object_get_string(val));
                                unsupported = true;
                                continue;
                        }
                        if (regexec(&re, json_object_get_string(v), 0, NULL, 0) != 0)
                                violation(path, "does not match %s", json_object_get_string(val));
                        regfree(&re);
                } else {
                        fprintf(stderr, "schema-check: keyword '%s' is not implemented\n", key);
                        unsupported = true;
                }
        }
}

int main(int argc, char **argv) {
        struct json_object *doc;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: schema-check SCHEMA.json [DOCUMENT.json]\n");
                return 2;
        }
        root_schema = json_object_from_file(argv[1]);
        if (!root_schema) {
                fprintf(stderr, "schema-check: cannot read schema %s: %s\n", argv[1], json_util_get_last_err());
                return 2;
        }
        doc = argc == 3 ? json_object_from_file(argv[2]) : json_object_from_fd(0);
        if (!doc) {
                printf("not valid JSON: %s\n", json_util_get_last_err());
                return 1;
        }
        check(root_schema, doc, "");
        json_object_put(doc);
        json_object_put(root_schema);
        if (unsupported)
                return 2;
        return errors ? 1 : 0;
}
