/*
 * core/img/img-bench.c - `tessera-img bench`: time `count` reads (or -w
 * writes) of `-s` bytes each, `-d` of them in flight at once, walking the
 * image from `-o` in steps of `-S` and wrapping to 0 at its end, as
 * qemu-img bench does.  The block layer's I/O is synchronous per thread,
 * so the queue depth is that many threads (up to DEPTH_THREADS_MAX: more
 * would measure the scheduler), each taking the next request in turn.
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_THREADS_MAX 64

typedef struct Bench {
    TsBlockNode *node;
    bool write;
    uint64_t count, bufsize, step, size;
    uint64_t flush_interval;    /* 0: no flushes */
    bool drain;                 /* a flush waits for nothing in flight */
    int pattern;

    GMutex lock;
    GRWLock flushing;           /* requests read-held, a draining flush
                                 * write-held */
    uint64_t issued, completed, offset;
    int error;
} Bench;

/* The next request's offset, or false when all have been issued. */
static bool next_request(Bench *b, uint64_t *off)
{
    g_mutex_lock(&b->lock);
    bool more = !b->error && b->issued < b->count;
    if (more) {
        b->issued++;
        *off = b->offset;
        b->offset += b->step;
        if (b->offset > b->size || b->size - b->offset < b->bufsize) {
            b->offset = 0;
        }
    }
    g_mutex_unlock(&b->lock);
    return more;
}

static gpointer bench_thread(gpointer opaque)
{
    Bench *b = opaque;
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, MAX(b->bufsize, 1)) != 0) {
        g_mutex_lock(&b->lock);
        b->error = -ENOMEM;
        g_mutex_unlock(&b->lock);
        return NULL;
    }
    memset(buf, b->pattern, b->bufsize);
    uint64_t off;
    while (next_request(b, &off)) {
        struct iovec iov = { buf, b->bufsize };
        g_rw_lock_reader_lock(&b->flushing);
        int ret = b->write
                  ? block_node_pwritev(b->node, off, b->bufsize, &iov, 1, 0)
                  : block_node_preadv(b->node, off, b->bufsize, &iov, 1, 0);
        g_rw_lock_reader_unlock(&b->flushing);
        g_mutex_lock(&b->lock);
        if (ret < 0 && !b->error) {
            b->error = ret;
        }
        uint64_t done = ++b->completed;
        g_mutex_unlock(&b->lock);
        if (ret == 0 && b->flush_interval && done % b->flush_interval == 0) {
            if (b->drain) {
                g_rw_lock_writer_lock(&b->flushing);
            }
            ret = block_node_flush(b->node);
            if (b->drain) {
                g_rw_lock_writer_unlock(&b->flushing);
            }
            g_mutex_lock(&b->lock);
            if (ret < 0 && !b->error) {
                b->error = ret;
            }
            g_mutex_unlock(&b->lock);
        }
    }
    free(buf);
    return NULL;
}

/* A whole number for an option, or false after qemu-img's message. */
static bool parse_count(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    if (!g_ascii_isdigit(*text)) {
        return false;
    }
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (*end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_size_opt(const char *text, const char *what, uint64_t *out)
{
    if (img_parse_size(text, out, NULL) && *out <= INT32_MAX) {
        return true;
    }
    img_error("Invalid %s specified", what);
    return false;
}

enum {
    OPT_FLUSH_INTERVAL = 256, OPT_NO_DRAIN, OPT_PATTERN, OPT_IMAGE_OPTS,
    OPT_FORCE_SHARE,
};

int img_cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "pattern", required_argument, NULL, OPT_PATTERN },
        { "no-drain", no_argument, NULL, OPT_NO_DRAIN },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *cache = NULL;
    uint64_t count = 75000, depth = 64, offset = 0, bufsize = 4096;
    uint64_t step = 0, flush_interval = 0, pattern = 0;
    bool write = false, drain = true, force_share = false, image_opts = false;
    bool quiet = false;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'h':
            printf("usage: %s bench [-c count] [-d depth] [-f fmt] "
                   "[--flush-interval=flush_interval] [-i aio] [-n] "
                   "[--no-drain] [-o offset] [--pattern=pattern] [-q] "
                   "[-s buffer_size] [-S step_size] [-t cache] [-w] [-U] "
                   "filename\n", IMG_PROGNAME);
            return 0;
        case 'c':
            if (!parse_count(optarg, INT32_MAX, &count)) {
                img_error("Invalid request count specified");
                return 1;
            }
            break;
        case 'd':
            if (!parse_count(optarg, INT32_MAX, &depth) || !depth) {
                img_error("Invalid queue depth specified");
                return 1;
            }
            break;
        case 'f': fmt = optarg; break;
        case 'n': break;        /* native AIO: the block layer picks */
        case 'i':
            if (strcmp(optarg, "threads") && strcmp(optarg, "native") &&
                strcmp(optarg, "io_uring")) {
                img_error("Invalid aio option: %s", optarg);
                return 1;
            }
            break;
        case 'o':
            if (!img_parse_size(optarg, &offset, NULL) ||
                offset > INT64_MAX) {
                img_error("Invalid offset specified. You may use k, M, G, "
                          "T, P or E suffixes for kilobytes, megabytes, "
                          "gigabytes, terabytes, petabytes and exabytes.");
                return 1;
            }
            break;
        case 'q': quiet = true; break;
        case 's':
            if (!parse_size_opt(optarg, "buffer size", &bufsize)) {
                return 1;
            }
            break;
        case 'S':
            if (!parse_size_opt(optarg, "step size", &step)) {
                return 1;
            }
            break;
        case 't': {
            bool direct, noflush;
            if (!img_cache_mode(optarg, &direct, &noflush, NULL)) {
                img_error("Invalid cache mode");
                return 1;
            }
            cache = optarg;
            break;
        }
        case 'w': write = true; break;
        case 'U': force_share = true; break;
        case OPT_FLUSH_INTERVAL:
            if (!parse_count(optarg, INT32_MAX, &flush_interval)) {
                img_error("Invalid flush interval specified");
                return 1;
            }
            break;
        case OPT_NO_DRAIN: drain = false; break;
        case OPT_PATTERN:
            if (!parse_count(optarg, 0xff, &pattern)) {
                img_error("Invalid pattern byte specified");
                return 1;
            }
            break;
        case OPT_IMAGE_OPTS: image_opts = true; break;
        default:
            return img_bad_option(ch, argv);
        }
    }
    (void)quiet;                /* qemu-img bench prints its lines anyway */
    if (optind != argc - 1) {
        return img_usage_error("Expecting one image file name");
    }
    if (flush_interval && !write) {
        img_error("--flush-interval is only available in write tests");
        return 1;
    }
    if (flush_interval && flush_interval < depth && drain) {
        img_error("Flush interval can't be smaller than depth");
        return 1;
    }
    const char *filename = argv[optind];
    GError *err = NULL;
    ImgOpen how = {
        .format = write ? fmt : img_read_only_format(fmt, filename,
                                                     image_opts),
        .writable = write, .force_share = force_share, .cache = cache,
        .image_opts = image_opts,
    };
    TsBlockNode *node = img_open(filename, &how, &err);
    if (!node) {
        return img_fail(err, 1);
    }
    int64_t len = block_node_get_length(node);
    Bench b = {
        .node = node, .write = write, .count = count, .bufsize = bufsize,
        .step = step ? step : bufsize, .size = len < 0 ? 0 : (uint64_t)len,
        .flush_interval = flush_interval, .drain = drain,
        .pattern = (int)pattern, .offset = offset,
    };
    printf("Sending %" G_GUINT64_FORMAT " %s requests, %" G_GUINT64_FORMAT
           " bytes each, %" G_GUINT64_FORMAT " in parallel (starting at "
           "offset %" G_GUINT64_FORMAT ", step size %" G_GUINT64_FORMAT ")\n",
           count, write ? "write" : "read", bufsize, depth, offset, b.step);
    if (flush_interval) {
        printf("Sending flush every %" G_GUINT64_FORMAT " requests\n",
               flush_interval);
    }
    fflush(stdout);
    g_mutex_init(&b.lock);
    g_rw_lock_init(&b.flushing);
    int nthreads = (int)MIN(MIN(depth, (uint64_t)DEPTH_THREADS_MAX),
                            MAX(count, 1));
    GThread **t = g_new(GThread *, nthreads);
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < nthreads; i++) {
        t[i] = g_thread_new("bench", bench_thread, &b);
    }
    for (int i = 0; i < nthreads; i++) {
        g_thread_join(t[i]);
    }
    int ret = b.error;
    if (ret == 0 && write && flush_interval) {
        ret = block_node_flush(node);   /* the last, partial interval */
    }
    gint64 end = g_get_monotonic_time();
    g_free(t);
    g_mutex_clear(&b.lock);
    g_rw_lock_clear(&b.flushing);
    img_close(node);
    if (ret < 0) {
        img_error("Failed request: %s", g_strerror(-ret));
        return 1;
    }
    printf("Run completed in %.3f seconds.\n", (double)(end - start) / 1e6);
    return 0;
}
