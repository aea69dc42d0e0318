/*
 * core/img/img-rebase.c - `tessera-img rebase -b backing_file`: give an
 * overlay another backing file.  Safe mode (the default) keeps what the
 * overlay shows: wherever the overlay does not hold a cluster itself and
 * the old backing chain and the new backing file differ, the old data is
 * copied into the overlay first.  Unsafe mode (-u) only rewrites the
 * name in the header.  An empty name makes the overlay stand alone.
 * The header is changed through the driver's amend hook
 * (block_change_backing_file).
 */
#include "img.h"
#include "block/block-graph.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define REBASE_CHUNK (1024 * 1024)

/* The backing name as the overlay's driver will resolve it: relative to
 * the overlay's directory. */
static char *resolve_backing(const char *overlay, const char *name)
{
    const char *slash = strrchr(overlay, '/');
    if (g_path_is_absolute(name) || !slash || strstr(name, "://")) {
        return g_strdup(name);
    }
    return g_strdup_printf("%.*s%s", (int)(slash - overlay + 1), overlay, name);
}

/* Read [off, off + len) of the new backing file (zeroes past its end, or
 * with none). */
static int read_new(TsBlockNode *nb, int64_t nb_len, uint64_t off,
                    uint8_t *buf, uint64_t len)
{
    memset(buf, 0, len);
    if (!nb || off >= (uint64_t)nb_len) {
        return 0;
    }
    uint64_t n = MIN(len, (uint64_t)nb_len - off);
    struct iovec iov = { buf, n };
    return block_node_preadv(nb, off, n, &iov, 1, 0);
}

/* Copy into `ov` every cluster it does not hold whose contents differ
 * between its old backing chain and `nb`; 0 or -errno. */
static int copy_differences(TsBlockNode *ov, TsBlockNode *nb, bool progress)
{
    TsBlockInfo info = { 0 };
    if (ov->driver->get_info) {
        ov->driver->get_info(ov, &info, NULL);
        g_free(info.backing_filename);
        g_free(info.backing_format);
        g_free(info.format_specific_json);
    }
    uint64_t cs = info.cluster_size ? info.cluster_size : 65536;
    uint64_t chunk = MAX(cs, REBASE_CHUNK);
    uint64_t len = (uint64_t)block_node_get_length(ov);
    int64_t nb_len = nb ? block_node_get_length(nb) : 0;
    if (nb_len < 0) {
        return (int)nb_len;
    }
    g_autofree uint8_t *old = g_malloc(chunk), *new = g_malloc(chunk);
    uint64_t off = 0;
    while (off < len) {
        uint64_t pnum = 0, map = 0;
        TsBlockChild *file = NULL;
        int st = block_node_block_status(ov, off, MIN(chunk, len - off), &pnum,
                                         &map, &file);
        if (st < 0) {
            return st;
        }
        if (!pnum) {
            return -EIO;
        }
        if (!(st & TS_BLOCK_STATUS_ALLOCATED)) {
            /* The overlay shows the old chain here: compare cluster by
             * cluster, write the runs that differ. */
            struct iovec iov = { old, pnum };
            int ret = block_node_preadv(ov, off, pnum, &iov, 1, 0);
            if (ret == 0) {
                ret = read_new(nb, nb_len, off, new, pnum);
            }
            uint64_t run = 0, run_len = 0;
            for (uint64_t p = 0; ret == 0 && p <= pnum; p += cs) {
                uint64_t n = p < pnum ? MIN(cs, pnum - p) : 0;
                bool differs = n && memcmp(old + p, new + p, n) != 0;
                if (differs) {
                    if (!run_len) {
                        run = p;
                    }
                    run_len += n;
                } else if (run_len) {
                    struct iovec w = { old + run, run_len };
                    ret = block_node_pwritev(ov, off + run, run_len, &w, 1, 0);
                    run_len = 0;
                }
            }
            if (ret < 0) {
                return ret;
            }
        }
        off += pnum;
        if (progress) {
            img_progress(off * 100.0 / len);
        }
    }
    return block_node_flush(ov);
}

int img_cmd_rebase(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "image-opts", no_argument, NULL, 'I' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    ImgOpen how = { .writable = true };
    const char *backing = NULL, *backing_fmt = NULL, *src_cache = NULL;
    bool unsafe = false, quiet = false, progress = false, share = false;
    int c;
    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: %s rebase [-U] [-q] [-f fmt] [-t cache] "
                   "[-T src_cache] [-p] [-u] -b backing_file [-F backing_fmt] "
                   "filename\n", IMG_PROGNAME);
            return 0;
        case 'f':
            how.format = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'b':
            backing = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 't':
            how.cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            share = true;
            break;
        case 'I':
            how.image_opts = true;
            break;
        default:
            return img_bad_option(c, argv);
        }
    }
    if (!unsafe && !backing) {
        return img_usage_error("Must specify backing file (-b) or use unsafe "
                               "mode (-u)");
    }
    if (optind != argc - 1) {
        return img_usage_error("Expecting one image file name");
    }
    const char *filename = argv[optind];
    if (!backing) {
        backing = "";
    }
    if (quiet) {
        progress = false;
    }
    GError *err = NULL;
    bool direct = false, no_flush = false;
    if (src_cache && !img_cache_mode(src_cache, &direct, &no_flush, &err)) {
        return img_fail(err, 1);
    }
    /* Unsafe: the old chain is not read, so not even opened (it may be
     * gone: that is often why one rebases unsafely). */
    how.no_backing = unsafe;
    how.quiet = quiet;
    TsBlockNode *ov = img_open(filename, &how, &err);
    if (!ov) {
        return img_fail(err, 1);
    }
    int status = 1;
    TsBlockNode *nb = NULL;
    if (!unsafe && *backing) {
        g_autofree char *path = resolve_backing(filename, backing);
        /* The block layer's own message: qemu-img's names the file once. */
        BlockOpts *o = block_opts_new();
        g_hash_table_replace(o, g_strdup("read-only"), g_strdup("on"));
        if (share) {
            g_hash_table_replace(o, g_strdup("force-share"), g_strdup("on"));
        }
        if (src_cache) {
            g_hash_table_replace(o, g_strdup("cache.direct"),
                                 g_strdup(direct ? "on" : "off"));
            g_hash_table_replace(o, g_strdup("cache.no-flush"),
                                 g_strdup(no_flush ? "on" : "off"));
        }
        nb = block_node_open_image(path, backing_fmt, o, &err);
        if (!nb) {
            img_error("Could not open new backing file '%s': %s", backing,
                      err->message);
            g_clear_error(&err);
            goto out;
        }
    }
    if (*backing && !backing_fmt) {
        img_error("Could not change the backing file to '%s': backing format "
                  "must be specified", backing);
        goto out;
    }
    if (!block_can_amend(ov)) {
        img_error("Could not change the backing file to '%s': Operation not "
                  "supported", backing);
        goto out;
    }
    if (!unsafe) {
        if (progress) {
            img_progress(0.0);
        }
        int ret = copy_differences(ov, nb, progress);
        if (progress) {
            img_progress_done();
        }
        if (ret < 0) {
            img_error("Error while rebasing '%s': %s", filename,
                      g_strerror(-ret));
            goto out;
        }
    }
    if (!block_change_backing_file(ov, *backing ? backing : NULL,
                                   *backing ? backing_fmt : NULL, &err)) {
        img_error("Could not change the backing file to '%s': %s", backing,
                  err->message);
        g_clear_error(&err);
        goto out;
    }
    status = 0;
out:
    img_close(nb);
    img_close(ov);
    return status;
}
