/*
 * core/img/img-main.c - tessera-img: the table of subcommands, the tool's
 * own options (--help, --version) and the set-up every subcommand shares
 * (the plugin registry, so that an image's format loads its driver).
 */
#include "img.h"
#include "block/block-options.h"
#include "plugin/plugins.h"
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const ImgCommand commands[] = {
    { "amend", img_cmd_amend,
      "[--object objectdef] [--image-opts] [-p] [-q] [-f fmt] [-t cache] "
      "[--force] -o options filename" },
    { "bench", img_cmd_bench,
      "[-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] "
      "[-i aio] [-n] [--no-drain] [-o offset] [--pattern=pattern] [-q] "
      "[-s buffer_size] [-S step_size] [-t cache] [-w] [-U] filename" },
    { "check", img_cmd_check,
      "[--object objectdef] [--image-opts] [-q] [-f fmt] "
      "[--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] filename" },
    { "commit", img_cmd_commit,
      "[--object objectdef] [--image-opts] [-q] [-f fmt] [-t cache] "
      "[-b base] [-r rate_limit] [-d] [-p] filename" },
    { "compare", img_cmd_compare,
      "[--object objectdef] [--image-opts] [-f fmt] [-F fmt] [-T src_cache] "
      "[-p] [-q] [-s] [-U] filename1 filename2" },
    { "convert", img_cmd_convert,
      "[--object objectdef] [--image-opts] [--target-image-opts] "
      "[--target-is-zero] [--bitmaps] [-U] [-C] [-c] [-p] [-q] [-n] "
      "[-f fmt] [-t cache] [-T src_cache] [-O output_fmt] "
      "[-B backing_file [-F backing_fmt]] [-o options] [-l snapshot_param] "
      "[-S sparse_size] [-r rate_limit] [-m num_coroutines] [-W] "
      "[--salvage] filename [filename2 [...]] output_filename" },
    { "create", img_cmd_create,
      "[--object objectdef] [-q] [-f fmt] [-b backing_file [-F backing_fmt]] "
      "[-u] [-o options] filename [size]" },
    { "dd", img_cmd_dd,
      "[--image-opts] [-U] [-f fmt] [-O output_fmt] [bs=block_size] "
      "[count=blocks] [skip=blocks] if=input of=output" },
    { "info", img_cmd_info,
      "[--object objectdef] [--image-opts] [-f fmt] [--output=ofmt] "
      "[--backing-chain] [-U] filename" },
    { "map", img_cmd_map,
      "[--object objectdef] [--image-opts] [-f fmt] [--start-offset=offset] "
      "[--max-length=len] [--output=ofmt] [-U] filename" },
    { "measure", img_cmd_measure,
      "[--output=ofmt] [-O output_fmt] [-o options] [--size N | "
      "[--object objectdef] [--image-opts] [-f fmt] [-l snapshot_param] "
      "filename]" },
    { "snapshot", img_cmd_snapshot,
      "[--object objectdef] [--image-opts] [-U] [-q] "
      "[-l | -a snapshot | -c snapshot | -d snapshot] filename" },
    { "rebase", img_cmd_rebase,
      "[--object objectdef] [--image-opts] [-U] [-q] [-f fmt] [-t cache] "
      "[-T src_cache] [-p] [-u] -b backing_file [-F backing_fmt] filename" },
    { "resize", img_cmd_resize,
      "[--object objectdef] [--image-opts] [-f fmt] [--preallocation=prealloc] "
      "[-q] [--shrink] filename [+ | -]size" },
};

static void print_help(void)
{
    printf("%s version %s\n"
           "usage: %s [standard options] command [command options]\n"
           "Create, inspect, check, convert and change disk images, with "
           "qemu-img's\ncommands and options.\n\n"
           "    '-h', '--help'       show this help and exit\n"
           "    '-V', '--version'    show the version and exit\n\n"
           "Commands:\n\n",
           IMG_PROGNAME, TS_VERSION, IMG_PROGNAME);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        printf("  %s %s\n\n", commands[i].name, commands[i].synopsis);
    }
    printf("Supported formats: the blk-* drivers installed "
           "('tessera -blockdev driver=help' lists them)\n");
}

static const ImgCommand *find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

TS_EXPORT int tessera_img_main(int argc, char **argv);

TS_EXPORT int tessera_img_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "trace", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 },
    };
    signal(SIGPIPE, SIG_IGN);
    int c;
    /* '+': stop at the subcommand; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:hVT:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help();
            return 0;
        case 'V':
            printf("%s version %s\nCopyright (c) 2026 the Tessera "
                   "developers\n", IMG_PROGNAME, TS_VERSION);
            return 0;
        case 'T':
            break;              /* tracing: accepted, nothing to trace */
        default:
            return img_bad_option(c, argv);
        }
    }
    if (optind >= argc) {
        return img_usage_error("Not enough arguments");
    }
    const ImgCommand *cmd = find_command(argv[optind]);
    if (!cmd) {
        return img_usage_error("Command not found: %s", argv[optind]);
    }
    plugin_loader_init();
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0;                 /* glibc: start getopt afresh */
    int status = cmd->run(sub_argc, sub_argv);
    block_close_all();          /* every write on disk before exit */
    return status;
}
