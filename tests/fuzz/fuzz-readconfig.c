/*
 * libFuzzer target: -readconfig, the whole way a file takes on the
 * command line (the bounded read, the sections, each becoming the option
 * it describes).  Any input must be taken or refused with one message;
 * never crash, leak or hang.  The input is a memfd named through
 * /proc/self/fd, so the reader opens and reads it as it would a file.
 */
#define _GNU_SOURCE
#include "cli/cli.h"
#include "device/global-props.h"
#include "util/fdset.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-readconfig", MFD_CLOEXEC);
        g_assert(fd >= 0);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    g_assert(ftruncate(fd, 0) == 0);
    g_assert(pwrite(fd, data, size, 0) == (ssize_t)size);

    char *argv[] = { "tessera-system-riscv64", "-readconfig", path, NULL };
    Cli cli = { 0 };
    GError *err = NULL;
    if (!cli_parse(&cli, 3, argv, &err)) {
        g_assert(err && err->message[0] && !strchr(err->message, '\n'));
    }
    g_clear_error(&err);
    cli_free(&cli);
    global_props_reset();
    fdset_reset();
    return 0;
}
