/*
 * qcow2-tool: the format engine on plain files, for the tests (and the
 * crash test's writer).  Backing files are opened by name relative to the
 * image, raw or qcow2 (backing_fmt, else probed), as the block layer would.
 *
 *   qcow2-tool create FILE SIZE [key=value...]
 *   qcow2-tool info FILE                 version, sizes, bits; exit 1 if refused
 *   qcow2-tool open FILE                 open read-write and close
 *   qcow2-tool dump FILE OUT             guest contents to a raw file
 *   qcow2-tool write FILE OFF LEN BYTE   fill with a byte
 *   qcow2-tool zero FILE OFF LEN [unmap]
 *   qcow2-tool discard FILE OFF LEN
 *   qcow2-tool copy-in FILE RAW          write a raw file's contents at 0
 *   qcow2-tool compress-in FILE RAW      the same, compressed cluster by cluster
 *                                        (all-zero clusters left unallocated)
 *   qcow2-tool resize FILE SIZE
 *   qcow2-tool snapshot FILE -c|-a|-d|-l [NAME]
 *   qcow2-tool check FILE                leaks and errors by the engine's count
 *   qcow2-tool random FILE REF SEED N    N random writes/zeroes/discards, mirrored in REF
 *   qcow2-tool crash-writer FILE REF SEED  writes until killed; REF holds the
 *                                        last flushed contents, REF.log the writes
 *   qcow2-tool map FILE                  block status runs
 */
#include "../qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Img {
    int fd;
    Qcow2IO io;
    Qcow2 *q;
    bool raw;
    uint64_t raw_size;
    struct Img *backing;
    Qcow2Backing b;
} Img;

static int img_read(void *opaque, uint64_t off, void *buf, size_t len)
{
    Img *i = opaque;
    if (i->raw)
        return i->io.pread(i->io.opaque, off, buf, len);
    return qcow2_read(i->q, off, buf, len);
}

static void close_img(Img *i)
{
    if (!i)
        return;
    if (i->q) {
        int ret = qcow2_close(i->q);
        if (ret < 0)
            fprintf(stderr, "qcow2-tool: close: %s\n", g_strerror(-ret));
    }
    close_img(i->backing);
    close(i->fd);
    g_free(i);
}

static Img *open_img(const char *path, const char *fmt, bool rw, char **err)
{
    Img *i = g_new0(Img, 1);
    i->fd = open(path, rw ? O_RDWR : O_RDONLY);
    if (i->fd < 0) {
        *err = g_strdup_printf("Could not open '%s': %s", path, g_strerror(errno));
        g_free(i);
        return NULL;
    }
    qcow2_io_init_fd(&i->io, &i->fd);
    uint8_t magic[4] = {0};
    i->io.pread(i->io.opaque, 0, magic, 4);
    if (fmt ? !strcmp(fmt, "raw") : memcmp(magic, "QFI\xfb", 4) != 0) {
        i->raw = true;
        i->raw_size = (uint64_t)i->io.length(i->io.opaque);
        return i;
    }
    Qcow2Options o = { .read_only = !rw, .lazy_refcounts = -1, .pass_discard = true };
    int ret = qcow2_open(&i->q, &i->io, &o, err);
    if (ret < 0) {
        close(i->fd);
        g_free(i);
        return NULL;
    }
    const char *bf = qcow2_backing_file(i->q);
    if (bf) {
        char *dir = g_path_get_dirname(path);
        char *bp = g_path_is_absolute(bf) ? g_strdup(bf) : g_build_filename(dir, bf, NULL);
        i->backing = open_img(bp, qcow2_backing_fmt(i->q), false, err);
        g_free(dir);
        g_free(bp);
        if (!i->backing) {
            qcow2_close(i->q);
            close(i->fd);
            g_free(i);
            return NULL;
        }
        i->b.opaque = i->backing;
        i->b.pread = img_read;
        i->b.size = i->backing->raw ? i->backing->raw_size : qcow2_size(i->backing->q);
        qcow2_set_backing(i->q, &i->b);
    }
    return i;
}

static uint64_t num(const char *s)
{
    char *end;
    uint64_t v = strtoull(s, &end, 0);
    switch (*end) {
    case 'k': case 'K': v <<= 10; break;
    case 'M': v <<= 20; break;
    case 'G': v <<= 30; break;
    }
    return v;
}

static int fail(const char *what, int ret)
{
    fprintf(stderr, "qcow2-tool: %s: %s\n", what, g_strerror(-ret));
    return 1;
}

static int cmd_create(int argc, char **argv)
{
    Qcow2CreateOptions o = { .size = num(argv[3]) };
    for (int a = 4; a < argc; a++) {
        char *eq = strchr(argv[a], '=');
        if (!eq)
            return 2;
        *eq = 0;
        const char *k = argv[a], *v = eq + 1;
        if (!strcmp(k, "cluster_size")) o.cluster_size = (uint32_t)num(v);
        else if (!strcmp(k, "compat")) o.version = !strcmp(v, "0.10") ? 2 : 3;
        else if (!strcmp(k, "backing_file")) o.backing_file = v;
        else if (!strcmp(k, "backing_fmt")) o.backing_fmt = v;
        else if (!strcmp(k, "lazy_refcounts")) o.lazy_refcounts = !strcmp(v, "on");
        else if (!strcmp(k, "refcount_bits")) o.refcount_bits = (uint32_t)num(v);
        else if (!strcmp(k, "preallocation")) o.preallocate_metadata = !strcmp(v, "metadata");
        else if (!strcmp(k, "compression_type")) o.compression_type = !strcmp(v, "zstd");
        else return 2;
    }
    int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("create", -errno);
    Qcow2IO io;
    qcow2_io_init_fd(&io, &fd);
    char *err = NULL;
    int ret = qcow2_create(&io, &o, &err);
    close(fd);
    if (ret < 0) {
        fprintf(stderr, "qcow2-tool: %s\n", err);
        return 1;
    }
    return 0;
}

/* Random operations, each mirrored into the raw reference. */
static int one_random_op(Img *i, int ref, GRand *r, uint64_t size, uint32_t cs)
{
    uint64_t off, len;
    int kind = g_rand_int_range(r, 0, 10);
    if (g_rand_boolean(r)) {
        off = (uint64_t)g_rand_int_range(r, 0, (gint32)(size / cs)) * cs;
        len = (uint64_t)g_rand_int_range(r, 1, 4) * cs;
    } else {
        off = (uint64_t)g_rand_int_range(r, 0, (gint32)(size / 512)) * 512;
        len = (uint64_t)g_rand_int_range(r, 1, 64) * 512;
    }
    if (off + len > size)
        len = size - off;
    uint8_t *buf = g_malloc(len);
    int ret;
    if (kind < 6) {
        for (uint64_t k = 0; k < len; k++)
            buf[k] = (uint8_t)g_rand_int(r);
        ret = qcow2_write(i->q, off, buf, len);
    } else if (kind < 8) {
        memset(buf, 0, len);
        ret = qcow2_write_zeroes(i->q, off, len, kind == 7);
    } else {
        ret = qcow2_discard(i->q, off, len);
        /* What a discard left is whatever reads back now. */
        if (ret == 0)
            ret = qcow2_read(i->q, off, buf, len);
    }
    if (ret == 0 && pwrite(ref, buf, len, (off_t)off) != (ssize_t)len)
        ret = -errno;
    g_free(buf);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of qcow2-tool.c\n");
        return 2;
    }
    const char *cmd = argv[1], *path = argv[2];
    if (!strcmp(cmd, "create") && argc >= 4)
        return cmd_create(argc, argv);
    bool rw = strcmp(cmd, "info") && strcmp(cmd, "dump") && strcmp(cmd, "map") &&
              strcmp(cmd, "check") &&
              !(argc >= 4 && !strcmp(cmd, "snapshot") && !strcmp(argv[3], "-l"));
    char *err = NULL;
    Img *i = open_img(path, NULL, rw, &err);
    if (!i) {
        fprintf(stderr, "qcow2-tool: %s\n", err);
        g_free(err);
        return 1;
    }
    if (i->raw) {
        fprintf(stderr, "qcow2-tool: not a qcow2 image\n");
        close_img(i);
        return 1;
    }
    Qcow2 *q = i->q;
    uint64_t size = qcow2_size(q);
    uint32_t cs = qcow2_cluster_size(q);
    int ret = 0, status = 0;
    if (!strcmp(cmd, "info")) {
        const Qcow2Header *h = qcow2_header(q);
        printf("version %u\ncluster_size %u\nsize %llu\nrefcount_bits %u\n"
               "snapshots %u\ncorrupt %d\nread_only %d\ncompression %u\n",
               h->version, cs, (unsigned long long)size, 1u << h->refcount_order,
               h->nb_snapshots, qcow2_is_corrupt(q), qcow2_is_read_only(q),
               h->compression_type);
    } else if (!strcmp(cmd, "open")) {
        status = qcow2_is_corrupt(q) ? 3 : 0;
    } else if (!strcmp(cmd, "dump") && argc == 4) {
        FILE *f = fopen(argv[3], "wb");
        uint8_t *buf = g_malloc(1 << 20);
        for (uint64_t o = 0; f && ret == 0 && o < size; o += 1 << 20) {
            size_t n = (size_t)MIN(size - o, 1u << 20);
            ret = qcow2_read(q, o, buf, n);
            if (ret == 0 && fwrite(buf, 1, n, f) != n)
                ret = -EIO;
        }
        g_free(buf);
        if (!f || fclose(f) != 0)
            ret = -EIO;
    } else if (!strcmp(cmd, "write") && argc == 6) {
        uint64_t len = num(argv[4]);
        uint8_t *buf = g_malloc(len);
        memset(buf, (int)num(argv[5]), len);
        ret = qcow2_write(q, num(argv[3]), buf, len);
        g_free(buf);
    } else if (!strcmp(cmd, "zero") && argc >= 5) {
        ret = qcow2_write_zeroes(q, num(argv[3]), num(argv[4]), argc > 5);
    } else if (!strcmp(cmd, "discard") && argc == 5) {
        ret = qcow2_discard(q, num(argv[3]), num(argv[4]));
    } else if (!strcmp(cmd, "copy-in") && argc == 4) {
        gchar *data;
        gsize len;
        if (!g_file_get_contents(argv[3], &data, &len, NULL))
            ret = -ENOENT;
        else
            ret = qcow2_write(q, 0, data, MIN(len, size));
        g_free(data);
    } else if (!strcmp(cmd, "compress-in") && argc == 4) {
        gchar *data;
        gsize len;
        if (!g_file_get_contents(argv[3], &data, &len, NULL)) {
            ret = -ENOENT;
        } else {
            uint8_t *zero = g_malloc0(cs);
            for (uint64_t o = 0; ret == 0 && o < MIN(len, size); o += cs) {
                size_t n = (size_t)MIN(cs, MIN(len, size) - o);
                if (n == cs && !memcmp(data + o, zero, cs))
                    continue;
                if (n < cs && o + n != size)
                    ret = qcow2_write(q, o, data + o, n);
                else
                    ret = qcow2_write_compressed(q, o, data + o, n);
            }
            g_free(zero);
        }
        g_free(data);
    } else if (!strcmp(cmd, "resize") && argc == 4) {
        ret = qcow2_truncate(q, num(argv[3]), &err);
    } else if (!strcmp(cmd, "snapshot") && argc >= 4) {
        const char *op = argv[3], *name = argc > 4 ? argv[4] : "";
        if (!strcmp(op, "-c"))
            ret = qcow2_snapshot_create(q, NULL, name, 0, &err);
        else if (!strcmp(op, "-a"))
            ret = qcow2_snapshot_apply(q, name, &err);
        else if (!strcmp(op, "-d"))
            ret = qcow2_snapshot_delete(q, name, &err);
        else {
            Qcow2SnapshotInfo *l;
            int n;
            qcow2_snapshot_list(q, &l, &n);
            for (int k = 0; k < n; k++)
                printf("%s %s %llu\n", l[k].id, l[k].name, (unsigned long long)l[k].disk_size);
            qcow2_snapshot_list_free(l, n);
        }
    } else if (!strcmp(cmd, "check")) {
        Qcow2CheckResult r;
        ret = qcow2_check(q, &r);
        printf("leaks %llu\nerrors %llu\n", (unsigned long long)r.leaks,
               (unsigned long long)r.errors);
        status = r.errors ? 2 : 0;
    } else if (!strcmp(cmd, "map")) {
        for (uint64_t o = 0; o < size && ret >= 0; ) {
            uint64_t n, host;
            ret = qcow2_block_status(q, o, size - o, &n, &host);
            if (ret >= 0)
                printf("%llu %llu %d %llu\n", (unsigned long long)o, (unsigned long long)n,
                       ret, (unsigned long long)host);
            o += n;
        }
        ret = ret < 0 ? ret : 0;
    } else if (!strcmp(cmd, "random") && argc == 6) {
        int ref = open(argv[3], O_RDWR);
        GRand *r = g_rand_new_with_seed((guint32)num(argv[4]));
        for (uint64_t k = 0; ref >= 0 && ret == 0 && k < num(argv[5]); k++)
            ret = one_random_op(i, ref, r, size, cs);
        g_rand_free(r);
        if (ref < 0)
            ret = -errno;
        else
            close(ref);
    } else if (!strcmp(cmd, "crash-writer") && argc == 5) {
        /* Writes until killed.  REF always holds exactly the contents at
         * the last completed flush (replaced by rename after the flush);
         * REF.log gets "W off len" before each write and "F k" after each
         * flush, unbuffered, so the killer knows which ranges were in
         * flight (a SIGKILL keeps what reached the kernel). */
        char *logname = g_strdup_printf("%s.log", argv[3]);
        char *tmp = g_strdup_printf("%s.tmp", argv[3]);
        int log = open(logname, O_WRONLY | O_CREAT | O_APPEND, 0644);
        GRand *r = g_rand_new_with_seed((guint32)num(argv[4]));
        uint8_t *img = g_malloc0(size);
        ret = log < 0 ? -errno : qcow2_read(q, 0, img, size);
        for (uint64_t k = 0; ret == 0; k++) {
            if (k % 16 == 0) {
                ret = qcow2_flush(q);
                if (ret == 0 && !g_file_set_contents(tmp, (char *)img, (gssize)size, NULL))
                    ret = -EIO;
                if (ret == 0 && rename(tmp, argv[3]) < 0)
                    ret = -errno;
                char line[64];
                int n = snprintf(line, sizeof(line), "F %llu\n", (unsigned long long)k);
                if (ret == 0 && write(log, line, (size_t)n) != n)
                    ret = -errno;
                if (ret < 0)
                    break;
            }
            uint64_t off = (uint64_t)g_rand_int_range(r, 0, (gint32)(size / 512)) * 512;
            uint64_t len = MIN((uint64_t)g_rand_int_range(r, 1, 256) * 512, size - off);
            char line[64];
            int n = snprintf(line, sizeof(line), "W %llu %llu\n", (unsigned long long)off,
                             (unsigned long long)len);
            if (write(log, line, (size_t)n) != n) {
                ret = -errno;
                break;
            }
            int kind = g_rand_int_range(r, 0, 10);
            if (kind == 0) {
                memset(img + off, 0, len);
                ret = qcow2_write_zeroes(q, off, len, true);
            } else if (kind == 1) {
                ret = qcow2_discard(q, off, len);
                if (ret == 0)
                    ret = qcow2_read(q, off, img + off, len);
            } else {
                for (uint64_t b = 0; b < len; b++)
                    img[off + b] = (uint8_t)g_rand_int(r);
                ret = qcow2_write(q, off, img + off, len);
            }
        }
        g_rand_free(r);
        g_free(img);
        g_free(logname);
        g_free(tmp);
    } else {
        fprintf(stderr, "qcow2-tool: bad command line\n");
        status = 2;
    }
    if (ret < 0) {
        if (err)
            fprintf(stderr, "qcow2-tool: %s\n", err);
        status = fail(cmd, ret);
    }
    g_free(err);
    close_img(i);
    return status;
}
