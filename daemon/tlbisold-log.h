/* tlbisold-log.h — logging for the daemon only (lib/ never logs).
 * To the journal with structured fields when stderr is the journal stream
 * ($JOURNAL_STREAM matches it, as under systemd), otherwise "<level>message"
 * lines on stderr. $SYSTEMD_LOG_LEVEL=debug or --debug log every change.
 * The *_errno variants set errno for %m and return -abs(error). */
#pragma once
#include <syslog.h>

void log_setup(void);
void log_set_max_level(int level);
int log_internal(int level, int error, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define log_debug(...)   log_internal(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...)    log_internal(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...)  log_internal(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)   log_internal(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...)   log_internal(LOG_ERR, (e), NULL, __VA_ARGS__)
/* one extra journal field, e.g. "IRQ=24" or "CPU=2-3" */
#define log_field(level, e, field, ...) log_internal((level), (e), (field), __VA_ARGS__)
