/*
 * core/img/img-compare.c - `tessera-img compare`: whether two images
 * show the same contents (qemu-img compare: exit 0 identical, 1
 * different, 2 an error).  Ranges both images say read as zeroes are
 * not read; a size difference is a warning, the larger image's extra
 * part must then read as zeroes.  -s (strict) also wants the same size
 * and the same allocation state everywhere.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (2u << 20)
#define STATUS_MASK (TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ZERO | \
                     TS_BLOCK_STATUS_ALLOCATED)

typedef struct Compare {
    const char *name[2];
    TsBlockNode *node[2];
    uint8_t *buf[2];
    bool quiet;
    ImgMeter meter;
    uint64_t total;
} Compare;

/* stdout unless -q, as qemu-img's messages are. */
static void say(const Compare *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(const Compare *c, const char *fmt, ...)
{
    if (c->quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static bool read_at(Compare *c, int which, uint64_t off, uint64_t len)
{
    struct iovec iov = { c->buf[which], len };
    int ret = block_node_preadv(c->node[which], off, len, &iov, 1, 0);
    if (ret < 0) {
        img_error("Error while reading offset %" G_GUINT64_FORMAT " of %s: "
                  "%s", off, c->name[which], g_strerror(-ret));
        return false;
    }
    return true;
}

/* The offset of the first sector in which the two buffers differ (or
 * in which buf is not zero, b NULL), or -1. */
static int64_t first_difference(const uint8_t *a, const uint8_t *b,
                                uint64_t len)
{
    for (uint64_t s = 0; s < len; s += TS_BLOCK_SECTOR_SIZE) {
        uint64_t n = MIN((uint64_t)TS_BLOCK_SECTOR_SIZE, len - s);
        if (b ? memcmp(a + s, b + s, n) != 0 : !img_buffer_is_zero(a + s, n)) {
            return (int64_t)s;
        }
    }
    return -1;
}

static void progress(Compare *c, uint64_t off)
{
    if (c->total) {
        img_meter_update(&c->meter, 100.0 * (double)off / (double)c->total);
    }
}

/* 0 same, 1 different (said so), 2 error (said so). */
static int compare_common(Compare *c, uint64_t end, bool strict)
{
    uint64_t off = 0;
    while (off < end) {
        uint64_t p0, p1;
        int s0 = img_chain_status(c->node[0], off, end - off, &p0);
        int s1 = s0 < 0 ? s0 : img_chain_status(c->node[1], off, end - off,
                                                &p1);
        if (s0 < 0 || s1 < 0) {
            img_error("Block status error at offset %" G_GUINT64_FORMAT
                      " of %s: %s", off, c->name[s0 < 0 ? 0 : 1],
                      g_strerror(-(s0 < 0 ? s0 : s1)));
            return 2;
        }
        uint64_t n = MIN(p0, p1);
        if (strict && (s0 & STATUS_MASK) != (s1 & STATUS_MASK)) {
            say(c, "Strict mode: Offset %" G_GUINT64_FORMAT
                " block status mismatch!\n", off);
            return 1;
        }
        if (!((s0 & TS_BLOCK_STATUS_ZERO) && (s1 & TS_BLOCK_STATUS_ZERO))) {
            for (uint64_t done = 0; done < n;) {
                uint64_t len = MIN((uint64_t)CHUNK, n - done);
                if (!read_at(c, 0, off + done, len) ||
                    !read_at(c, 1, off + done, len)) {
                    return 2;
                }
                int64_t d = first_difference(c->buf[0], c->buf[1], len);
                if (d >= 0) {
                    say(c, "Content mismatch at offset %" G_GUINT64_FORMAT
                        "!\n", off + done + (uint64_t)d);
                    return 1;
                }
                done += len;
                progress(c, off + done);
            }
        }
        off += n;
        progress(c, off);
    }
    return 0;
}

/* The part of the larger image past the smaller one's end must read as
 * zeroes. */
static int compare_tail(Compare *c, int which, uint64_t from, uint64_t end)
{
    uint64_t off = from;
    while (off < end) {
        uint64_t p;
        int s = img_chain_status(c->node[which], off, end - off, &p);
        if (s < 0) {
            img_error("Block status error at offset %" G_GUINT64_FORMAT
                      " of %s: %s", off, c->name[which], g_strerror(-s));
            return 2;
        }
        if (!(s & TS_BLOCK_STATUS_ZERO)) {
            for (uint64_t done = 0; done < p;) {
                uint64_t len = MIN((uint64_t)CHUNK, p - done);
                if (!read_at(c, which, off + done, len)) {
                    return 2;
                }
                int64_t d = first_difference(c->buf[which], NULL, len);
                if (d >= 0) {
                    say(c, "Content mismatch at offset %" G_GUINT64_FORMAT
                        "!\n", off + done + (uint64_t)d);
                    return 1;
                }
                done += len;
            }
        }
        off += p;
        progress(c, off);
    }
    return 0;
}

enum { OPT_IMAGE_OPTS = 256, OPT_OBJECT };

int img_cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt[2] = { NULL, NULL }, *cache = NULL;
    bool strict = false, show_progress = false, quiet = false;
    bool force_share = false, image_opts = false;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hf:F:T:pqsU", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'h':
            printf("usage: %s compare [-f fmt] [-F fmt] [-T src_cache] [-p] "
                   "[-q] [-s] [-U] filename1 filename2\n", IMG_PROGNAME);
            return 0;
        case 'f': fmt[0] = optarg; break;
        case 'F': fmt[1] = optarg; break;
        case 'T': cache = optarg; break;
        case 'p': show_progress = true; break;
        case 'q': quiet = true; break;
        case 's': strict = true; break;
        case 'U': force_share = true; break;
        case OPT_IMAGE_OPTS: image_opts = true; break;
        case OPT_OBJECT:
            img_error("--object: no object types are available to "
                      "tessera-img");
            return 2;
        default:
            img_bad_option(ch, argv);
            return 2;           /* compare's exit status for errors */
        }
    }
    if (quiet) {
        show_progress = false;
    }
    if (argc - optind != 2) {
        img_error("Expecting two image file names");
        return 2;
    }
    Compare c = { .quiet = quiet };
    int status = 2;
    GError *err = NULL;
    for (int i = 0; i < 2; i++) {
        c.name[i] = argv[optind + i];
        ImgOpen how = {
            .format = img_read_only_format(fmt[i], c.name[i], image_opts),
            .force_share = force_share, .cache = cache,
            .quiet = quiet, .image_opts = image_opts,
        };
        c.node[i] = img_open(c.name[i], &how, &err);
        if (!c.node[i]) {
            img_fail(err, 2);
            goto out;
        }
    }
    uint64_t size[2];
    for (int i = 0; i < 2; i++) {
        int64_t len = block_node_get_length(c.node[i]);
        if (len < 0) {
            img_error("Can't get size of %s: %s", c.name[i],
                      g_strerror((int)-len));
            goto out;
        }
        size[i] = (uint64_t)len;
        c.buf[i] = g_malloc(CHUNK);
    }
    c.total = MAX(size[0], size[1]);
    img_meter_start(&c.meter, show_progress);
    if (size[0] != size[1]) {
        if (strict) {
            say(&c, "Strict mode: Image size mismatch!\n");
            status = 1;
            goto done;
        }
        say(&c, "Warning: Image size mismatch!\n");
    }
    uint64_t common = MIN(size[0], size[1]);
    status = compare_common(&c, common, strict);
    if (status == 0 && size[0] != size[1]) {
        status = compare_tail(&c, size[0] > size[1] ? 0 : 1, common,
                              c.total);
    }
    if (status == 0) {
        if (show_progress && c.meter.shown < 100.0) {
            img_progress(100.0);
        }
        say(&c, "Images are identical.\n");
    }
done:
    if (show_progress) {
        printf("\n");
    }
out:
    fflush(stdout);
    for (int i = 0; i < 2; i++) {
        img_close(c.node[i]);
        g_free(c.buf[i]);
    }
    return status;
}
