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

static void warn_guessed_raw(const char *what)
{
    fprintf(stderr, "%s: warning: Image format was not specified for '%s' "
            "and probing guessed raw.\n"
            "         Automatically detecting the format is dangerous for "
            "raw images, write operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the "
            "restrictions.\n", g_get_prgname() ? g_get_prgname() : "tessera",
            what);
}

static const char *format_of_head(const uint8_t *head, size_t n,
                                  const char *what)
{
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (n >= formats[i].len &&
            memcmp(head, formats[i].magic, formats[i].len) == 0) {
            return formats[i].name;
        }
    }
    warn_guessed_raw(what);
    return "raw";
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
    return format_of_head(head, n > 0 ? (size_t)n : 0, what);
}

/* Through the protocol node (an NBD export has no path to open(2)): the
 * first block the node serves, whole, as its alignment wants. */
const char *block_probe_format_node(TsBlockNode *node, const char *what,
                                    GError **errp)
{
    int64_t len = block_node_get_length(node);
    size_t n = (size_t)MIN(MAX(len, 0), MAX(node_core(node)->align, 512));
    g_autofree uint8_t *head = g_malloc0(MAX(n, 8));
    struct iovec iov = { head, n };
    int r = n ? block_node_preadv(node, 0, n, &iov, 1, 0) : 0;
    if (r < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not read image for determining its format: %s",
                    g_strerror(-r));
        return NULL;
    }
    return format_of_head(head, n, what);
}
