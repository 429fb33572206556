/* tlbisold-log.c — see tlbisold-log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "tlbisold-log.h"

static int max_level = LOG_INFO;
static int use_journal;

void log_set_max_level(int level) {
        max_level = level;
}

void log_setup(void) {
        const char *js = getenv("JOURNAL_STREAM"), *lvl = getenv("SYSTEMD_LOG_LEVEL");
        unsigned long dev, ino;
        struct stat st;

        /* stderr connected to the journal: use the native protocol */
        if (js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            st.st_dev == dev && st.st_ino == ino)
                use_journal = 1;
        if (lvl && strcmp(lvl, "debug") == 0)
                max_level = LOG_DEBUG;
}

int log_internal(int level, int error, const char *field, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        int e = error < 0 ? -error : error;

        if (level > max_level)
                return -e;
        errno = e;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (use_journal) {
                if (e)
                        sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level, "ERRNO=%i", e,
                                        "SYSLOG_IDENTIFIER=tlbisold", field, NULL);
                else
                        sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", level,
                                        "SYSLOG_IDENTIFIER=tlbisold", field, NULL);
        } else
                fprintf(stderr, "<%d>%s\n", level, msg);
        return -e;
}
