/*
 * core/img/img-convert.c - `tessera-img convert`: copy one or more
 * images (concatenated) into a new or existing one, in another format,
 * leaving holes where the source has them, optionally compressed.
 *
 * The output is cut into fixed pieces (2 MiB, or a whole number of the
 * target's clusters) that -m worker threads (8 by default, as qemu-img's
 * coroutines) take in turn: each asks the sources' block status for its
 * piece, reads only what holds data, looks for zeroes in -S granules and
 * writes the rest.  Reads overlap freely; writes go in piece order
 * unless -W, so that a qcow2 target's clusters land in the file in guest
 * order, as qemu-img lays them out.  Compression runs on the workers too
 * (blk-qcow2 compresses outside its lock), which is where -c spends its
 * time.
 */
#include "img.h"
#include "block/block-graph.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Bytes one worker moves at a time (qemu-img's buffer is 2 MiB). */
#define PIECE_BYTES (2u << 20)
#define WORKERS_DEFAULT 8
#define WORKERS_MAX 16
#define SPARSE_DEFAULT 4096
#define SPARSE_MAX (16u << 20)

typedef struct Source {
    const char *name;
    TsBlockNode *node;
    uint64_t start;             /* where it begins in the output */
    uint64_t length;
} Source;

/* What one stretch of a piece holds. */
typedef enum Kind {
    KIND_DATA,                  /* read it */
    KIND_ZERO,                  /* reads as zeroes: need not be read */
    KIND_KEEP,                  /* -B: not the top image's, left alone */
} Kind;

typedef struct Convert {
    Source *src;
    int nsrc;
    TsBlockNode *target;
    const char *target_name;
    uint64_t total;
    uint64_t piece;
    bool zero_init;             /* unwritten target ranges read zeroes */
    bool keep_unallocated;      /* -B: copy the top layer only */
    bool compress;
    bool in_order;              /* not -W */
    bool salvage;
    bool quiet;
    uint64_t sparse;            /* -S: 0 writes everything */
    uint64_t granule;           /* what a zero skip must cover */
    uint64_t rate;              /* -r bytes/s, 0: no limit */
    int64_t start_ns;

    gint next_piece;            /* the next piece a worker takes */
    GMutex lock;
    GCond turn;                 /* next_write moved, or an error */
    uint64_t next_write;        /* the piece whose turn it is to write */
    uint64_t written;           /* bytes written so far (-r) */
    uint64_t done;              /* bytes handled (progress) */
    int error;                  /* first failure: -errno */
    char *error_text;
    int running;                /* workers not finished */
} Convert;

static uint64_t npieces(const Convert *c)
{
    return (c->total + c->piece - 1) / c->piece;
}

static void fail(Convert *c, int err, char *text)
{
    g_mutex_lock(&c->lock);
    if (!c->error) {
        c->error = err;
        c->error_text = text;
        text = NULL;
    }
    g_cond_broadcast(&c->turn);
    g_mutex_unlock(&c->lock);
    g_free(text);
}

static bool failed(Convert *c)
{
    g_mutex_lock(&c->lock);
    bool f = c->error != 0;
    g_mutex_unlock(&c->lock);
    return f;
}

static const Source *source_at(const Convert *c, uint64_t off)
{
    for (int i = 0; i < c->nsrc; i++) {
        if (off < c->src[i].start + c->src[i].length) {
            return &c->src[i];
        }
    }
    return &c->src[c->nsrc - 1];
}

/* The kind of the output bytes from `off` on and for how long (at most
 * `max`). */
static int classify(Convert *c, uint64_t off, uint64_t max, Kind *kind,
                    uint64_t *len)
{
    const Source *s = source_at(c, off);
    uint64_t in = off - s->start;
    uint64_t want = MIN(max, s->length - in);
    uint64_t pnum = 0;
    int st;
    if (c->keep_unallocated) {
        /* -B: only the top image's ranges; the rest is the backing
         * file's, which the target shares. */
        uint64_t map = 0;
        TsBlockChild *file = NULL;
        st = block_node_block_status(s->node, in, want, &pnum, &map, &file);
    } else {
        st = img_chain_status(s->node, in, want, &pnum);
    }
    if (st < 0) {
        return st;
    }
    pnum = MAX(MIN(pnum, want), 1);
    if (c->keep_unallocated && !(st & TS_BLOCK_STATUS_ALLOCATED)) {
        *kind = KIND_KEEP;
    } else if (st & TS_BLOCK_STATUS_ZERO) {
        *kind = KIND_ZERO;
    } else {
        *kind = KIND_DATA;
    }
    *len = pnum;
    return 0;
}

/* Read [off, off+len) of the output's sources into buf. */
static int read_sources(Convert *c, uint64_t off, uint64_t len, uint8_t *buf)
{
    while (len) {
        const Source *s = source_at(c, off);
        uint64_t in = off - s->start;
        uint64_t n = MIN(len, s->length - in);
        struct iovec iov = { buf, n };
        int ret = block_node_preadv(s->node, in, n, &iov, 1, 0);
        if (ret < 0 && c->salvage) {
            /* --salvage: what cannot be read becomes zeroes, a sector at
             * a time, with a warning for each. */
            for (uint64_t o = 0; o < n; o += TS_BLOCK_SECTOR_SIZE) {
                uint64_t k = MIN((uint64_t)TS_BLOCK_SECTOR_SIZE, n - o);
                struct iovec v = { buf + o, k };
                int r = block_node_preadv(s->node, in + o, k, &v, 1, 0);
                if (r < 0) {
                    memset(buf + o, 0, k);
                    if (!c->quiet) {
                        img_error("warning: error while reading offset %"
                                  G_GUINT64_FORMAT ": %s", off + o,
                                  g_strerror(-r));
                    }
                }
            }
            ret = 0;
        }
        if (ret < 0) {
            fail(c, ret, g_strdup_printf("error while reading at byte %"
                                         G_GUINT64_FORMAT ": %s", off,
                                         g_strerror(-ret)));
            return ret;
        }
        off += n;
        buf += n;
        len -= n;
    }
    return 0;
}

static void rate_wait(Convert *c, uint64_t bytes)
{
    if (!c->rate) {
        return;
    }
    g_mutex_lock(&c->lock);
    c->written += bytes;
    int64_t due = c->start_ns +
                  (int64_t)((double)c->written * 1e9 / (double)c->rate);
    g_mutex_unlock(&c->lock);
    int64_t now = g_get_monotonic_time() * 1000;
    if (due > now) {
        g_usleep((gulong)((due - now) / 1000));
    }
}

static int write_data(Convert *c, uint64_t off, uint64_t len,
                      const uint8_t *buf)
{
    if (!len) {
        return 0;
    }
    struct iovec iov = { (void *)buf, len };
    unsigned flags = c->compress ? TS_BLOCK_REQ_WRITE_COMPRESSED : 0;
    rate_wait(c, len);
    int ret = block_node_pwritev(c->target, off, len, &iov, 1, flags);
    if (ret < 0) {
        fail(c, ret, g_strdup_printf("error while writing at byte %"
                                     G_GUINT64_FORMAT ": %s", off,
                                     g_strerror(-ret)));
    }
    return ret;
}

static int write_zeroes(Convert *c, uint64_t off, uint64_t len)
{
    if (!len || c->zero_init) {
        return 0;
    }
    int ret = block_node_write_zeroes(c->target, off, len,
                                      TS_BLOCK_REQ_MAY_UNMAP);
    if (ret < 0) {
        fail(c, ret, g_strdup_printf("error while writing zeroes at byte %"
                                     G_GUINT64_FORMAT ": %s", off,
                                     g_strerror(-ret)));
    }
    return ret;
}

/* Wait until the piece before this one has written (in-order writes). */
static bool wait_turn(Convert *c, uint64_t index)
{
    if (!c->in_order) {
        return !failed(c);
    }
    g_mutex_lock(&c->lock);
    while (c->next_write != index && !c->error) {
        g_cond_wait(&c->turn, &c->lock);
    }
    bool ok = !c->error;
    g_mutex_unlock(&c->lock);
    return ok;
}

/* Let the next piece write (pass_turn), and count this one done. */
static void pass_turn(Convert *c, uint64_t index)
{
    g_mutex_lock(&c->lock);
    if (c->in_order && c->next_write == index) {
        c->next_write = index + 1;
        g_cond_broadcast(&c->turn);
    }
    g_mutex_unlock(&c->lock);
}

static void piece_done(Convert *c, uint64_t bytes)
{
    g_mutex_lock(&c->lock);
    c->done += bytes;
    g_cond_broadcast(&c->turn);
    g_mutex_unlock(&c->lock);
}

/*
 * Write the piece [off, off+len) whose bytes are in buf and whose
 * stretches' kinds are in kinds[] (one per granule): runs of data are
 * one write each, runs of zeroes one write-zeroes (or nothing on a
 * zero-initialised target), kept runs nothing.
 */
static int write_piece(Convert *c, uint64_t off, uint64_t len,
                       const uint8_t *buf, const uint8_t *kinds, uint64_t g)
{
    uint64_t n = (len + g - 1) / g;
    uint64_t i = 0;
    while (i < n) {
        uint64_t j = i + 1;
        while (j < n && kinds[j] == kinds[i]) {
            j++;
        }
        uint64_t a = i * g, b = MIN(j * g, len);
        int ret = 0;
        if (kinds[i] == KIND_DATA) {
            ret = write_data(c, off + a, b - a, buf + a);
        } else if (kinds[i] == KIND_ZERO) {
            ret = write_zeroes(c, off + a, b - a);
        }
        if (ret < 0) {
            return ret;
        }
        i = j;
    }
    return 0;
}

static int convert_piece(Convert *c, uint64_t index, uint8_t *buf,
                         uint8_t *kinds)
{
    uint64_t off = index * c->piece;
    uint64_t len = MIN(c->piece, c->total - off);
    /* Granules align to the output, so a zero skip never splits what the
     * target stores as one unit (a cluster, compressed or not). */
    uint64_t g = c->granule;
    uint64_t ng = (len + g - 1) / g;
    /* First the kinds each granule's bytes have, as bits. */
    uint8_t *seen = kinds;
    for (uint64_t i = 0; i < ng; i++) {
        seen[i] = 0;
    }
    bool any_data = false, any_keep = false;
    uint64_t pos = 0;
    while (pos < len) {
        Kind k;
        uint64_t n;
        int ret = classify(c, off + pos, len - pos, &k, &n);
        if (ret < 0) {
            fail(c, ret, g_strdup_printf("error while reading block status "
                                         "at offset %" G_GUINT64_FORMAT
                                         ": %s", off + pos,
                                         g_strerror(-ret)));
            return ret;
        }
        if (k == KIND_ZERO && !c->sparse) {
            k = KIND_DATA;      /* -S 0: every byte written */
        }
        if (k != KIND_DATA) {
            memset(buf + pos, 0, n);
        }
        for (uint64_t i = pos / g; i <= (pos + n - 1) / g; i++) {
            seen[i] |= (uint8_t)(1u << k);
        }
        any_data |= k == KIND_DATA;
        any_keep |= k == KIND_KEEP;
        pos += n;
    }
    /* A granule is data if any of it is, and also when part of it is the
     * backing file's and part zeroes: read through the source, it holds
     * both as they must end up.  Only granules wholly kept are left to
     * the target's backing file. */
    for (uint64_t i = 0; i < ng; i++) {
        unsigned b = seen[i];
        kinds[i] = (uint8_t)(b == (1u << KIND_KEEP) ? KIND_KEEP
                             : b == (1u << KIND_ZERO) ? KIND_ZERO
                             : KIND_DATA);
    }
    if (!any_data && !any_keep && c->zero_init && c->sparse) {
        return 0;               /* a hole on a target that has one */
    }
    /* Read the data granules, in runs. */
    for (uint64_t i = 0; i < ng;) {
        if (kinds[i] != KIND_DATA) {
            i++;
            continue;
        }
        uint64_t j = i + 1;
        while (j < ng && kinds[j] == KIND_DATA) {
            j++;
        }
        uint64_t a = i * g, b = MIN(j * g, len);
        int ret = read_sources(c, off + a, b - a, buf + a);
        if (ret < 0) {
            return ret;
        }
        i = j;
    }
    /* Zero detection: data granules that read as zeroes. */
    if (c->sparse) {
        for (uint64_t i = 0; i < ng; i++) {
            uint64_t a = i * g, b = MIN((i + 1) * g, len);
            if (kinds[i] == KIND_DATA && img_buffer_is_zero(buf + a, b - a)) {
                kinds[i] = KIND_ZERO;
            }
        }
    }
    return 0;
}

typedef struct Worker {
    Convert *c;
    GThread *thread;
} Worker;

static gpointer worker_main(gpointer opaque)
{
    Worker *w = opaque;
    Convert *c = w->c;
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, c->piece) != 0) {
        fail(c, -ENOMEM, g_strdup("out of memory"));
        buf = NULL;
    }
    uint8_t *kinds = g_new(uint8_t, c->piece / c->granule + 1);
    uint64_t total = npieces(c);
    while (buf) {
        uint64_t index = (uint64_t)g_atomic_int_add(&c->next_piece, 1);
        if (index >= total || failed(c)) {
            break;
        }
        uint64_t off = index * c->piece;
        uint64_t len = MIN(c->piece, c->total - off);
        int ret = convert_piece(c, index, buf, kinds);
        if (ret < 0 || !wait_turn(c, index)) {
            break;
        }
        /* Compressed pieces only start in order: the driver compresses
         * before it takes its lock, so they compress side by side and
         * are packed nearly in order; waiting for the previous one to
         * finish would compress one piece at a time. */
        if (c->compress) {
            pass_turn(c, index);
        }
        ret = write_piece(c, off, len, buf, kinds, c->granule);
        pass_turn(c, index);
        piece_done(c, len);
        if (ret < 0) {
            break;
        }
    }
    free(buf);
    g_free(kinds);
    g_mutex_lock(&c->lock);
    c->running--;
    g_cond_broadcast(&c->turn);
    g_mutex_unlock(&c->lock);
    return NULL;
}

static int run_copy(Convert *c, int workers, bool progress)
{
    ImgMeter meter;
    img_meter_start(&meter, progress);
    c->start_ns = g_get_monotonic_time() * 1000;
    c->running = workers;
    Worker *w = g_new0(Worker, workers);
    for (int i = 0; i < workers; i++) {
        w[i].c = c;
        w[i].thread = g_thread_new("convert", worker_main, &w[i]);
    }
    g_mutex_lock(&c->lock);
    while (c->running) {
        gint64 until = g_get_monotonic_time() + 100 * G_TIME_SPAN_MILLISECOND;
        g_cond_wait_until(&c->turn, &c->lock, until);
        if (c->total) {
            double pct = 100.0 * (double)c->done / (double)c->total;
            g_mutex_unlock(&c->lock);
            img_meter_update(&meter, pct);
            g_mutex_lock(&c->lock);
        }
    }
    g_mutex_unlock(&c->lock);
    for (int i = 0; i < workers; i++) {
        g_thread_join(w[i].thread);
    }
    g_free(w);
    if (c->error) {
        if (progress) {
            printf("\n");
        }
        img_error("%s", c->error_text);
        return 1;
    }
    int ret = block_node_flush(c->target);
    if (ret < 0) {
        img_error("error while flushing '%s': %s", c->target_name,
                  g_strerror(-ret));
        return 1;
    }
    if (progress) {
        if (meter.shown < 100.0) {
            img_progress(100.0);
        }
        img_progress_done();    /* qemu-img ends on a second 100 */
    }
    return 0;
}

enum {
    OPT_TARGET_IS_ZERO = 256,
    OPT_IMAGE_OPTS,
    OPT_TARGET_IMAGE_OPTS,
    OPT_SALVAGE,
    OPT_BITMAPS,
    OPT_OBJECT,
    OPT_TARGET_FORMAT_OPTIONS,
};

int img_cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "target-is-zero", no_argument, NULL, OPT_TARGET_IS_ZERO },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "target-image-opts", no_argument, NULL, OPT_TARGET_IMAGE_OPTS },
        { "salvage", no_argument, NULL, OPT_SALVAGE },
        { "bitmaps", no_argument, NULL, OPT_BITMAPS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *out_fmt = NULL, *backing = NULL;
    const char *backing_fmt = NULL, *cache = "unsafe", *src_cache = NULL;
    const char *snapshot = NULL;
    g_autoptr(GString) options = g_string_new(NULL);
    bool compress = false, progress = false, quiet = false, no_create = false;
    bool out_of_order = false, force_share = false, target_is_zero = false;
    bool image_opts = false, target_image_opts = false, salvage = false;
    int workers = WORKERS_DEFAULT;
    uint64_t sparse = SPARSE_DEFAULT, rate = 0;
    GError *err = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:",
                             longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            printf("usage: %s convert [-c] [-p] [-q] [-n] [-f fmt] "
                   "[-t cache] [-T src_cache] [-O output_fmt] "
                   "[-B backing_file [-F backing_fmt]] [-o options] "
                   "[-S sparse_size] [-r rate_limit] [-m num_coroutines] "
                   "[-W] [--salvage] [--target-is-zero] filename "
                   "[filename2 [...]] output_filename\n", IMG_PROGNAME);
            return 0;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'C': break;        /* copy offloading: a plain copy is one */
        case 'c': compress = true; break;
        case 'o':
            if (options->len) {
                g_string_append_c(options, ',');
            }
            g_string_append(options, optarg);
            break;
        case 'l': snapshot = optarg; break;
        case 'S':
            if (!img_parse_size(optarg, &sparse, NULL) ||
                sparse % TS_BLOCK_SECTOR_SIZE || sparse > SPARSE_MAX) {
                img_error("Invalid buffer size for sparse output specified. "
                          "Valid sizes are multiples of 512 up to 16777216. "
                          "Select 0 to disable sparse detection (fully "
                          "allocates output).");
                return 1;
            }
            break;
        case 'p': progress = true; break;
        case 't': cache = optarg; break;
        case 'T': src_cache = optarg; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > WORKERS_MAX) {
                img_error("Invalid number of coroutines. Allowed number of "
                          "coroutines is between 1 and %d", WORKERS_MAX);
                return 1;
            }
            workers = (int)v;
            break;
        }
        case 'W': out_of_order = true; break;
        case 'U': force_share = true; break;
        case 'r':
            if (!img_parse_size(optarg, &rate, NULL) || !rate) {
                img_error("Invalid rate limit specified. You may use k, M, "
                          "G, T, P or E suffixes for");
                return 1;
            }
            break;
        case OPT_TARGET_IS_ZERO: target_is_zero = true; break;
        case OPT_IMAGE_OPTS: image_opts = true; break;
        case OPT_TARGET_IMAGE_OPTS: target_image_opts = true; break;
        case OPT_SALVAGE: salvage = true; break;
        case OPT_BITMAPS:
            img_error("--bitmaps: copying persistent bitmaps is not "
                      "supported");
            return 1;
        case OPT_OBJECT:
            img_error("--object: no object types are available to "
                      "tessera-img");
            return 1;
        default:
            return img_bad_option(ch, argv);
        }
    }
    if (quiet) {
        progress = false;
    }
    int nfiles = argc - optind;
    if (nfiles < 2) {
        img_error(nfiles ? "Must specify image file name"
                         : "Expecting image file name");
        return 1;
    }
    const char *out_name = argv[argc - 1];
    if (!out_fmt) {
        out_fmt = "raw";
    }
    if (target_is_zero && !no_create) {
        img_error("--target-is-zero requires use of -n flag");
        return 1;
    }
    if (target_image_opts && !no_create) {
        img_error("--target-image-opts requires use of -n flag");
        return 1;
    }
    if (no_create && options->len) {
        img_error("-o has no effect when skipping image creation");
        return 1;
    }
    if (backing_fmt && !backing && !no_create) {
        img_error("%s: error while converting %s: Backing format cannot be "
                  "used without backing file", out_name, out_fmt);
        return 1;
    }
    if (snapshot) {
        img_error("-l: converting from an internal snapshot is not "
                  "supported");
        return 1;
    }
    bool direct, noflush;
    if (!img_cache_mode(cache, &direct, &noflush, &err) ||
        (src_cache && !img_cache_mode(src_cache, &direct, &noflush, &err))) {
        return img_fail(err, 1);
    }

    /* The sources first: nothing is created when one cannot be read. */
    Convert c = {
        .target_name = out_name, .compress = compress, .salvage = salvage,
        .quiet = quiet, .sparse = sparse, .rate = rate,
        .in_order = !out_of_order,
    };
    c.nsrc = nfiles - 1;
    c.src = g_new0(Source, c.nsrc);
    int status = 1;
    ImgOpen how = {
        .format = fmt, .force_share = force_share, .cache = src_cache,
        .quiet = quiet, .image_opts = image_opts,
    };
    for (int i = 0; i < c.nsrc; i++) {
        Source *s = &c.src[i];
        s->name = argv[optind + i];
        how.format = img_read_only_format(fmt, s->name, image_opts);
        s->node = img_open(s->name, &how, &err);
        if (!s->node) {
            img_fail(err, 1);
            goto out;
        }
        int64_t len = block_node_get_length(s->node);
        if (len < 0) {
            img_error("Could not get size of '%s': %s", s->name,
                      g_strerror((int)-len));
            goto out;
        }
        s->start = c.total;
        s->length = (uint64_t)len;
        c.total += s->length;
    }

    if (!no_create) {
        const TsBlockDriver *drv = img_format_driver(out_fmt, &err);
        if (!drv) {
            img_fail(err, 1);
            goto out;
        }
        if (compress && !(drv->supported_write_flags &
                          TS_BLOCK_REQ_WRITE_COMPRESSED)) {
            img_error("Compression not supported for this file format");
            goto out;
        }
        if (!img_create_output(out_name, out_fmt, c.total, options->str,
                               backing, backing_fmt, &err)) {
            /* Option errors as qemu-img words them; the rest named. */
            if (!g_str_has_prefix(err->message, "Invalid parameter") &&
                !g_str_has_prefix(err->message, "Parameter '")) {
                g_prefix_error(&err, "%s: error while converting %s: ",
                               out_name, out_fmt);
            }
            img_fail(err, 1);
            goto out;
        }
    }
    c.target = img_open_output(out_name, target_image_opts ? NULL : out_fmt,
                               cache, target_image_opts, &err);
    if (!c.target) {
        img_fail(err, 1);
        goto out;
    }
    int64_t tlen = block_node_get_length(c.target);
    if (tlen < 0 || (uint64_t)tlen < c.total) {
        img_error("output file is smaller than input file");
        goto out;
    }
    if (compress && !img_can_compress(c.target)) {
        img_error("Compression not supported for this file format");
        goto out;
    }
    c.zero_init = no_create ? target_is_zero : img_zero_init(c.target);
    c.keep_unallocated = img_has_backing(c.target);
    uint32_t cluster = img_cluster_size(c.target);
    c.piece = PIECE_BYTES;
    if (cluster > 1 && c.piece % cluster) {
        c.piece = (c.piece / cluster + 1) * cluster;
    }
    /* A zero skip covers whole target clusters (a cluster is written
     * whole anyway) and whole -S granules. */
    c.granule = sparse ? sparse : TS_BLOCK_SECTOR_SIZE;
    if (cluster > 1) {
        c.granule = (c.granule + cluster - 1) / cluster * cluster;
    }
    if (c.granule > c.piece) {
        c.piece = c.granule;
    }
    if (c.piece % c.granule) {
        c.piece = (c.piece / c.granule + 1) * c.granule;
    }
    g_mutex_init(&c.lock);
    g_cond_init(&c.turn);
    status = c.total ? run_copy(&c, workers, progress) : 0;
    if (!c.total && progress) {
        img_progress(0.0);
        img_progress_done();
    }
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.turn);
out:
    img_close(c.target);
    for (int i = 0; i < c.nsrc; i++) {
        img_close(c.src[i].node);
    }
    g_free(c.src);
    g_free(c.error_text);
    return status;
}
