/*
 * core/img/img.h - what the files of the image tool (tessera-img, the
 * counterpart of qemu-img) share.  The tool lives in libtessera (entry
 * point tessera_img_main) so that it opens images with the same block
 * layer and the same blk-* plugins as the emulator, loading only the
 * drivers an image needs.
 *
 *   img-main.c     the command table, global options, --help, --version
 *   img-util.c     opening images, sizes, errors, progress, JSON output
 *   img-<cmd>.c    one subcommand each (create, info, check, convert...)
 *
 * A subcommand is `int img_cmd_NAME(int argc, char **argv)`: argv[0] is
 * the subcommand's name, options are parsed with getopt_long (optind is
 * reset before the call); it returns the process exit status, with
 * qemu-img's meanings (check: 0 clean, 1 not checked, 2 corrupt, 3
 * leaks; compare: 0 same, 1 different, 2 error).  Errors are one line on
 * stderr through img_error(), naming the file and what is wrong.
 */
#ifndef TESSERA_CORE_IMG_H
#define TESSERA_CORE_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <tessera/block.h>

#define IMG_PROGNAME "tessera-img"

typedef struct ImgCommand {
    const char *name;
    int (*run)(int argc, char **argv);
    /* The synopsis lines of --help (qemu-img's), without the name. */
    const char *synopsis;
} ImgCommand;

/* The subcommands (one file each). */
int img_cmd_amend(int argc, char **argv);
int img_cmd_bench(int argc, char **argv);
int img_cmd_check(int argc, char **argv);
int img_cmd_commit(int argc, char **argv);
int img_cmd_compare(int argc, char **argv);
int img_cmd_convert(int argc, char **argv);
int img_cmd_create(int argc, char **argv);
int img_cmd_dd(int argc, char **argv);
int img_cmd_info(int argc, char **argv);
int img_cmd_map(int argc, char **argv);
int img_cmd_measure(int argc, char **argv);
int img_cmd_snapshot(int argc, char **argv);
int img_cmd_rebase(int argc, char **argv);
int img_cmd_resize(int argc, char **argv);

/* ---- errors (img-util.c) ------------------------------------------- */

/* "tessera-img: <message>\n" on stderr. */
void img_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* img_error() of err->message, freeing err; returns `status`. */
int img_fail(GError *err, int status);
/* A bad command line: the message and "Try 'tessera-img --help' for more
 * information"; returns 1. */
int img_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* What getopt_long's ':' (missing argument; optstrings start with ':')
 * or '?' (unknown option) means, as qemu-img words it; returns 1. */
int img_bad_option(int c, char **argv);

/* ---- opening images (img-util.c) ----------------------------------- */

typedef struct ImgOpen {
    const char *format;         /* -f; NULL: probe */
    bool writable;
    bool force_share;           /* -U: take no locks (read-only only) */
    const char *cache;          /* -t/-T: writeback, none, unsafe...;
                                 * NULL: the subcommand's default */
    bool no_backing;            /* open without the backing chain (-u) */
    bool quiet;                 /* -q: no probing warning */
    /* --image-opts: `filename` is a "driver=qcow2,file.filename=x"
     * option string instead of a file name. */
    bool image_opts;
    /* check: a dirty or corrupt-flagged image opens as it is, to be
     * reported and repaired (the core's x-check option). */
    bool for_check;
} ImgOpen;

/* Open `filename` as a node (drop with img_close).  Errors are in
 * qemu-img's words: "Could not open 'x': ..." */
TsBlockNode *img_open(const char *filename, const ImgOpen *how,
                      GError **errp);
void img_close(TsBlockNode *node);

/* Apply a -t/-T cache mode name to block options ("cache.direct",
 * "cache.no-flush"); false + errp for an unknown mode. */
bool img_cache_mode(const char *mode, bool *direct, bool *no_flush,
                    GError **errp);

/* ---- numbers and text (img-util.c) --------------------------------- */

/* A size as qemu-img takes it: bytes, or with a suffix k/K, M, G, T, P, E
 * (powers of 1024; "b" for bytes, "S"... not accepted); false + errp
 * ("Invalid image size specified..." is the caller's wording). */
bool img_parse_size(const char *text, uint64_t *out, GError **errp);
/* "1 GiB", "192 KiB", "512 B", "1.5 GiB": qemu-img's human sizes
 * (g_free). */
char *img_human_size(uint64_t bytes);

/* A JSON value printed as qemu-img --output=json does (4-space pretty
 * print, newline at the end). */
void img_print_json(JsonNode *node);

/* The progress bar of -p: "    (42.00/100%)\r" on stdout. */
void img_progress(double percent);
void img_progress_done(void);

/* ---- create, info, map, snapshot, measure (img-inspect.c) ---------- */

/* --output=human|json; false after an error message for anything else. */
bool img_output_is_json(const char *arg, bool *json);
/* The create options of format `fmt` (NULL + errp: "Unknown file format
 * 'x'", or a format that creates no images). */
const TsProperty *img_create_options_of(const char *fmt, GError **errp);
/* The entry `name` of a create option table, or NULL. */
const TsProperty *img_create_option(const TsProperty *table,
                                    const char *name);
/* `-o help`: qemu-img's "Supported <fmt> options:" list; false after an
 * error message. */
bool img_print_create_help(const char *fmt);
/* The image's internal snapshots as qemu-img's JSON SnapshotInfo list,
 * or NULL when it has none (or its format keeps none). */
JsonArray *img_snapshots_json(TsBlockNode *n);
/* A copy of `node` whose objects list their members in the order
 * qemu-img prints them (json_node_unref). */
JsonNode *img_json_qemu_order(JsonNode *node);
/* img_open() for the inspecting commands: a guessed format is raw
 * without the warning when nothing is written, and without
 * `with_backing` a format that has backing files is opened without
 * them (how->no_backing is ignored). */
TsBlockNode *img_open_image(const char *filename, const ImgOpen *how,
                            bool with_backing, GError **errp);
/* qemu-img's snapshot table (header and one line per entry) from the
 * "snapshots" of an ImageInfo (img-info.c). */
void img_print_snapshot_table(JsonArray *snapshots);

/* ---- convert, compare, dd, bench: shared (img-output.c) ------------- */

/* The format driver called `format` (its plugin loaded), or NULL +
 * "Unknown file format 'x'". */
const TsBlockDriver *img_format_driver(const char *format, GError **errp);
/* Create the image a command writes: `format` of `size` bytes, with -o
 * `options` ("key=value,..."; may be NULL) and an optional backing file
 * (-B/-F). */
bool img_create_output(const char *filename, const char *format,
                       uint64_t size, const char *options,
                       const char *backing, const char *backing_fmt,
                       GError **errp);
/* Open it for writing with cache mode `cache` (NULL: writeback). */
TsBlockNode *img_open_output(const char *filename, const char *format,
                             const char *cache, bool image_opts,
                             GError **errp);
/* The node's cluster size (get_info), 0 if it has none. */
uint32_t img_cluster_size(TsBlockNode *n);
bool img_has_backing(TsBlockNode *n);
/* Whether a range nobody wrote reads as zeroes: a new image of a format
 * with has_zero_init and no backing file. */
bool img_zero_init(TsBlockNode *n);
/* Whether writes with TS_BLOCK_REQ_WRITE_COMPRESSED are taken. */
bool img_can_compress(TsBlockNode *n);
bool img_buffer_is_zero(const void *buf, size_t len);
/* The block status of [off, off+bytes) as the whole backing chain shows
 * it (what qemu-img asks with the base NULL): DATA, ZERO and ALLOCATED
 * bits for the first *pnum bytes, or -errno.  Ranges no image of the
 * chain holds read as ZERO. */
int img_chain_status(TsBlockNode *n, uint64_t off, uint64_t bytes,
                     uint64_t *pnum);
char *img_errno_text(int neg_errno);
/* The format to open `filename` read-only with: `format` if given, else
 * what its first bytes say, with "raw" said here because qemu-img warns
 * about a guessed raw format only for images it writes (NULL: let the
 * core probe, or fail to open, itself). */
const char *img_read_only_format(const char *format, const char *filename,
                                 bool image_opts);

/* The -p display, redrawn as qemu-img does: at 0, then each time a whole
 * percent more is done (the caller ends it with img_progress_done or its
 * own line). */
typedef struct ImgMeter {
    bool enabled;
    double shown;
} ImgMeter;
void img_meter_start(ImgMeter *m, bool enabled);
void img_meter_update(ImgMeter *m, double percent);

#endif
