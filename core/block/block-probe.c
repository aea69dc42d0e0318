/*
 * core/block/block-probe.c - the format of an image given without
 * format=, from its first bytes, as QEMU guesses it: a known magic names
 * its format, anything else is raw, with QEMU's warning that guessing
 * raw is dangerous (a guest could write a qcow2 header into it and, on
 * the next start, have the host read files through it).
 */
#include "block-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static const struct {
    const char *name;
    const char *magic;
    size_t len;
} formats[] = {
    { "qcow2", "QFI\xfb", 4 },
    { "qed", "QED\0", 4 },
    { "vmdk", "KDMV", 4 },
    { "vhdx", "vhdxfile", 8 },
    { "vdi", "<<< ", 4 },
};

bool block_probe_looks_like_image(const struct iovec *iov, int niov)
{
    uint8_t head[8] = { 0 };
    size_t have = 0;
    for (int i = 0; i < niov && have < sizeof(head); i++) {
        size_t n = MIN(iov[i].iov_len, sizeof(head) - have);
        memcpy(head + have, iov[i].iov_base, n);
        have += n;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (have >= formats[i].len &&
            memcmp(head, formats[i].magic, formats[i].len) == 0) {
            return true;
        }
    }
    return false;
}

const char *block_probe_format(const char *filename, const char *what,
                               GError **errp)
{
    int fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Could not open '%s': %s", filename, g_strerror(errno));
        return NULL;
    }
    uint8_t head[8] = { 0 };
    ssize_t n = pread(fd, head, sizeof(head), 0);
    close(fd);
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (n >= (ssize_t)formats[i].len &&
            memcmp(head, formats[i].magic, formats[i].len) == 0) {
            return formats[i].name;
        }
    }
    fprintf(stderr, "%s: warning: Image format was not specified for '%s' "
            "and probing guessed raw.\n"
            "         Automatically detecting the format is dangerous for "
            "raw images, write operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the "
            "restrictions.\n", g_get_prgname() ? g_get_prgname() : "tessera",
            what);
    return "raw";
}
