/*
 * core/nbd/nbd-tool.c - tessera-nbd, the counterpart of qemu-nbd: serve
 * one image over NBD with qemu-nbd's options, through the same block
 * layer and blk-* plugins as the emulator.  Without -t it exits when its
 * last client leaves, as qemu-nbd does.
 */
#include "nbd-internal.h"
#include "nbd.h"
#include "img/img.h"
#include "loop/main-loop.h"
#include "plugin/plugins.h"
#include "block/block-options.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBD_PROGNAME "tessera-nbd"

static void print_help(void)
{
    printf(
"Usage: %s [OPTIONS] FILE\n"
"Serve a disk image over NBD (the Network Block Device protocol),\n"
"with qemu-nbd's options.\n"
"\n"
"  -h, --help                display this help and exit\n"
"  -V, --version             output version information and exit\n"
"\n"
"Connection properties:\n"
"  -p, --port=PORT           port to listen on (default '10809')\n"
"  -b, --bind=IFACE          interface to bind to (default '0.0.0.0')\n"
"  -k, --socket=PATH         path to the unix socket (default none)\n"
"  -e, --shared=NUM          device can be shared by NUM clients "
"(default '1', 0: any number)\n"
"  -t, --persistent          don't exit on the last connection\n"
"  -v, --verbose             display extra debugging information\n"
"  -x, --export-name=NAME    expose export by name (default '')\n"
"  -D, --description=TEXT    export a human-readable description\n"
"      --fork                fork off the server process and exit the "
"parent\n"
"                            once the server is running\n"
"      --pid-file=PATH       store the server's process ID in PATH\n"
"\n"
"Block device options:\n"
"  -f, --format=FORMAT       set image format (raw, qcow2, ...)\n"
"  -r, --read-only           export read-only\n"
"  -n, --nocache             disable host cache (--cache=none)\n"
"      --cache=MODE          cache mode (none, writeback, writethrough,\n"
"                            directsync, unsafe)\n"
"      --aio=MODE            AIO mode (threads, native, io_uring): "
"accepted,\n"
"                            requests always run on worker threads\n"
"      --discard=MODE        discard mode (ignore, unmap)\n"
"      --detect-zeroes=MODE  detect zeroes (off, on, unmap)\n"
"      --image-opts          FILE is an option string, not a file name\n"
"\n"
"Not available here: -c/--connect, -d/--disconnect, -L/--list (a kernel\n"
"or client job), -s, -l, -B, -A, --object, --tls-*.\n",
        NBD_PROGNAME);
}

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n",
            NBD_PROGNAME, msg, NBD_PROGNAME);
    return EXIT_FAILURE;
}

static int fail(GError *err)
{
    fprintf(stderr, "%s: %s\n", NBD_PROGNAME, err->message);
    g_error_free(err);
    return EXIT_FAILURE;
}

static gboolean on_signal(gpointer data)
{
    ts_loop_quit(0);
    return G_SOURCE_CONTINUE;
}

static void all_gone(void)
{
    ts_loop_quit(0);
}

enum {
    OPT_CACHE = 256, OPT_AIO, OPT_DISCARD, OPT_DETECT_ZEROES, OPT_FORK,
    OPT_PID_FILE, OPT_IMAGE_OPTS, OPT_OBJECT, OPT_TLS_CREDS, OPT_TLS_AUTHZ,
    OPT_TLS_HOSTNAME,
};

static bool one_of(const char *v, const char *const *allowed)
{
    return g_strv_contains(allowed, v);
}

TS_EXPORT int tessera_nbd_main(int argc, char **argv);

TS_EXPORT int tessera_nbd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "port", required_argument, NULL, 'p' },
        { "bind", required_argument, NULL, 'b' },
        { "socket", required_argument, NULL, 'k' },
        { "shared", required_argument, NULL, 'e' },
        { "persistent", no_argument, NULL, 't' },
        { "verbose", no_argument, NULL, 'v' },
        { "export-name", required_argument, NULL, 'x' },
        { "description", required_argument, NULL, 'D' },
        { "format", required_argument, NULL, 'f' },
        { "read-only", no_argument, NULL, 'r' },
        { "nocache", no_argument, NULL, 'n' },
        { "cache", required_argument, NULL, OPT_CACHE },
        { "aio", required_argument, NULL, OPT_AIO },
        { "discard", required_argument, NULL, OPT_DISCARD },
        { "detect-zeroes", required_argument, NULL, OPT_DETECT_ZEROES },
        { "fork", no_argument, NULL, OPT_FORK },
        { "pid-file", required_argument, NULL, OPT_PID_FILE },
        { "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
        { "object", required_argument, NULL, OPT_OBJECT },
        { "tls-creds", required_argument, NULL, OPT_TLS_CREDS },
        { "tls-authz", required_argument, NULL, OPT_TLS_AUTHZ },
        { "tls-hostname", required_argument, NULL, OPT_TLS_HOSTNAME },
        { "trace", required_argument, NULL, 'T' },
        { "connect", required_argument, NULL, 'c' },
        { "disconnect", no_argument, NULL, 'd' },
        { "list", no_argument, NULL, 'L' },
        { "snapshot", no_argument, NULL, 's' },
        { "load-snapshot", required_argument, NULL, 'l' },
        { "bitmap", required_argument, NULL, 'B' },
        { "allocation-depth", no_argument, NULL, 'A' },
        { "offset", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const cache_modes[] = {
        "none", "off", "writeback", "writethrough", "directsync", "unsafe",
        NULL };
    static const char *const aio_modes[] = {
        "threads", "native", "io_uring", NULL };
    static const char *const discard_modes[] = {
        "ignore", "off", "unmap", "on", NULL };
    static const char *const zero_modes[] = { "off", "on", "unmap", NULL };

    const char *port = "10809", *bind_addr = "0.0.0.0", *sock = NULL;
    const char *name = "", *description = NULL, *format = NULL;
    const char *cache = NULL, *discard = NULL, *detect_zeroes = NULL;
    const char *pid_file = NULL;
    bool persistent = false, verbose = false, read_only = false;
    bool do_fork = false, image_opts = false, port_given = false;
    bool bind_given = false;
    long shared = 1;
    int c;

    signal(SIGPIPE, SIG_IGN);
    optind = 0;
    while ((c = getopt_long(argc, argv, ":hVp:b:k:e:tvx:D:f:rnT:c:dLsl:B:Ao:",
                            longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'h':
            print_help();
            return 0;
        case 'V':
            printf("%s %s\nCopyright (c) 2026 the Tessera developers\n",
                   NBD_PROGNAME, TS_VERSION);
            return 0;
        case 'p': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 0 || v > 65535) {
                return usage_error("Invalid port '%s'", optarg);
            }
            port = optarg;
            port_given = true;
            break;
        }
        case 'b':
            bind_addr = optarg;
            bind_given = true;
            break;
        case 'k':
            sock = optarg;
            break;
        case 'e':
            shared = strtol(optarg, &end, 10);
            if (!*optarg || *end || shared < 0 || shared > INT32_MAX) {
                return usage_error("Invalid shared device number '%s'",
                                   optarg);
            }
            break;
        case 't':
            persistent = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'x':
            name = optarg;
            if (strlen(name) > NBD_MAX_STRING) {
                return usage_error("export name '%s' too long", optarg);
            }
            break;
        case 'D':
            description = optarg;
            if (strlen(description) > NBD_MAX_STRING) {
                return usage_error("export description '%s' too long",
                                   optarg);
            }
            break;
        case 'f':
            format = optarg;
            break;
        case 'r':
            read_only = true;
            break;
        case 'n':
            cache = "none";
            break;
        case OPT_CACHE:
            if (!one_of(optarg, cache_modes)) {
                return usage_error("Invalid cache mode '%s'", optarg);
            }
            cache = optarg;
            break;
        case OPT_AIO:
            if (!one_of(optarg, aio_modes)) {
                return usage_error("Invalid aio mode '%s'", optarg);
            }
            break;
        case OPT_DISCARD:
            if (!one_of(optarg, discard_modes)) {
                return usage_error("Invalid discard mode `%s'", optarg);
            }
            discard = g_str_equal(optarg, "on") ? "unmap"
                    : g_str_equal(optarg, "off") ? "ignore" : optarg;
            break;
        case OPT_DETECT_ZEROES:
            if (!one_of(optarg, zero_modes)) {
                return usage_error("parameter 'detect-zeroes' does not "
                                   "accept value '%s'", optarg);
            }
            detect_zeroes = optarg;
            break;
        case OPT_FORK:
            do_fork = true;
            break;
        case OPT_PID_FILE:
            pid_file = optarg;
            break;
        case OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        case 'T':
            break;              /* tracing: accepted, nothing to trace */
        case OPT_TLS_CREDS:
        case OPT_TLS_AUTHZ:
        case OPT_TLS_HOSTNAME:
            return usage_error("TLS is not supported by %s", NBD_PROGNAME);
        case 'c':
        case 'd':
        case 'L':
            return usage_error("option '%s' is not supported: %s only "
                               "serves images (use nbd-client or nbdinfo)",
                               argv[optind - 1], NBD_PROGNAME);
        case 's':
        case 'l':
        case 'B':
        case 'A':
        case 'o':
        case OPT_OBJECT:
            return usage_error("option '%s' is not supported",
                               argv[optind - 1]);
        case ':':
            return usage_error("option '%s' requires an argument",
                               argv[optind - 1]);
        default:
            return usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        return usage_error(argc == optind ? "Please specify a file"
                                          : "Too many arguments");
    }
    if (sock && (port_given || bind_given)) {
        return usage_error("-p and -b are incompatible with -k");
    }
    const char *file = argv[optind];

    GError *err = NULL;
    bool writethrough = cache && (g_str_equal(cache, "writethrough") ||
                                  g_str_equal(cache, "directsync"));
    g_autoptr(GHashTable) extra = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal,
                                                        g_free, g_free);
    if (read_only) {
        g_hash_table_insert(extra, g_strdup("read-only"), g_strdup("on"));
    }
    if (cache) {
        bool direct, no_flush;
        if (!img_cache_mode(cache, &direct, &no_flush, &err)) {
            return fail(err);
        }
        g_hash_table_insert(extra, g_strdup("cache.direct"),
                            g_strdup(direct ? "on" : "off"));
        g_hash_table_insert(extra, g_strdup("cache.no-flush"),
                            g_strdup(no_flush ? "on" : "off"));
    }
    if (discard) {
        g_hash_table_insert(extra, g_strdup("discard"), g_strdup(discard));
    }
    if (detect_zeroes) {
        g_hash_table_insert(extra, g_strdup("detect-zeroes"),
                            g_strdup(detect_zeroes));
    }

    ts_loop_init();
    plugin_loader_init();
    int status = EXIT_FAILURE;
    TsBlockNode *node = block_export_open_image(file, format, image_opts,
                                                extra, &err);
    if (!node) {
        status = fail(err);
        goto out;
    }
    NbdExport *exp = nbd_export_add_node(node, name, description,
                                         !read_only, &err);
    block_export_release_image(node);   /* the export holds it now */
    if (!exp) {
        status = fail(err);
        goto out;
    }
    exp->writethrough = writethrough;
    exp->multi_conn = read_only && shared != 1;
    NbdListenAddr addr = {
        .is_unix = sock != NULL,
        .path = (char *)sock,
        .host = (char *)bind_addr,
        .port = (char *)port,
    };
    if (!nbd_server_start(&addr, (uint32_t)shared, &err)) {
        status = fail(err);
        goto out;
    }
    if (do_fork) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "%s: fork: %s\n", NBD_PROGNAME,
                    g_strerror(errno));
            goto out;
        }
        if (pid > 0) {
            /* The pid file before returning, so that whoever started us
             * finds it as soon as we are gone (the child would race). */
            g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
            if (pid_file && !g_file_set_contents(pid_file, text, -1, &err)) {
                kill(pid, SIGTERM);
                _exit(fail(err));
            }
            _exit(0);           /* the server is listening: done */
        }
        setsid();
        if (!verbose) {
            /* Whoever started us may wait for our output to end. */
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                close(null);
            }
        }
    }
    if (pid_file && !do_fork) {
        g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
        if (!g_file_set_contents(pid_file, text, -1, &err)) {
            status = fail(err);
            goto out;
        }
    }
    nbd_server_set_verbose(verbose);
    nbd_server_set_oneshot(!persistent, all_gone);
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGINT, on_signal, NULL);
    g_unix_signal_add(SIGHUP, on_signal, NULL);
    status = ts_loop_run();
    if (pid_file) {
        unlink(pid_file);
    }
out:
    nbd_server_set_oneshot(false, NULL);
    nbd_shutdown();
    block_close_all();
    return status;
}
