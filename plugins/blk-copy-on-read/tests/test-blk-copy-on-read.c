/*
 * test-blk-copy-on-read.c - -drive copy-on-read=on over a qcow2 overlay
 * made by Debian's qemu-img with a raw backing file: reading a range
 * copies it into the overlay (qemu-img map, the real peer, then shows it
 * allocated there) and returns the backing file's bytes; ranges not read
 * stay in the backing file; a guest write is not undone by a copy.
 * Skips without qemu-img or without the qcow2 driver.
 */
#include "dev-harness.h"
#include "block/block-internal.h"
#include "block/block-options.h"
#include "loop/main-loop.h"
#include "object/object-hooks.h"
#include "plugin/plugins.h"

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, what)                                                 \
    do {                                                                  \
        printf("%s %d - %s\n", (cond) ? "ok" : "not ok", ++n, what);      \
        failed |= !(cond);                                                \
    } while (0)

int main(int argc, char **argv)
{
    const char *root = g_getenv("TESSERA_BUILD_ROOT");
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *plugins = root ? g_build_filename(root, "plugins", NULL)
                                    : NULL;
    g_autofree char *qcow2 = plugins ? g_build_filename(
        plugins, "blk-qcow2.modinfo", NULL) : NULL;
    if (!root || !qemu_img || !g_file_test(qcow2, G_FILE_TEST_EXISTS)) {
        printf("1..0 # SKIP needs TESSERA_BUILD_ROOT, qemu-img (Debian: "
               "qemu-utils) and the qcow2 driver\n");
        return 0;
    }
    int n = 0, failed = 0;
    ts_loop_init();
    plugin_loader_init();
    plugin_path_prepend(plugins);
    object_core_init();

    g_autofree char *dir = g_dir_make_tmp("cor-XXXXXX", NULL);
    g_autofree char *base = g_build_filename(dir, "base.raw", NULL);
    g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);
    g_autofree uint8_t *data = g_malloc(1 << 20);
    for (int i = 0; i < 1 << 20; i++) {
        data[i] = (uint8_t)(i * 13 + (i >> 12));
    }
    g_file_set_contents(base, (char *)data, 1 << 20, NULL);
    g_autofree char *mk = g_strdup_printf("%s create -q -f qcow2 -b %s -F "
                                          "raw %s", qemu_img, base, top);
    CHECK(system(mk) == 0, "qemu-img makes a qcow2 overlay of a raw file");

    g_autoptr(GError) err = NULL;
    g_autofree char *arg = g_strdup_printf("if=none,id=c0,format=qcow2,"
                                           "copy-on-read=on,file=%s", top);
    bool opened = block_drive_add(arg, &err) && block_options_open(&err);
    if (err) {
        printf("# %s\n", err->message);
    }
    CHECK(opened, "-drive copy-on-read=on opens with the filter on top");
    TsBlockBackend *blk = opened ? ts_block_attach("c0", NULL, NULL, NULL,
                                                   true, &err) : NULL;
    CHECK(blk && g_str_equal(block_node_driver_name(blk->root),
                             "copy-on-read"), "the drive's root node is "
          "the copy-on-read filter");
    if (blk) {
        uint8_t buf[65536];
        CHECK(ts_block_pread_sync(blk, 131072, buf, sizeof(buf)) == 0 &&
              memcmp(buf, data + 131072, sizeof(buf)) == 0,
              "a read returns the backing file's bytes");
        uint8_t mine[4096];
        memset(mine, 0x77, sizeof(mine));
        CHECK(ts_block_pwrite_sync(blk, 524288, mine, sizeof(mine)) == 0,
              "a write goes to the overlay");
        CHECK(ts_block_pread_sync(blk, 524288 - 4096, buf, 16384) == 0 &&
              memcmp(buf + 4096, mine, sizeof(mine)) == 0 &&
              memcmp(buf, data + 524288 - 4096, 4096) == 0,
              "a copy around a written range keeps the write");
        ts_block_detach(blk);
    }
    block_close_all();
    g_autofree char *map = g_strdup_printf("%s map --output=json -U %s",
                                           qemu_img, top);
    g_autofree char *out = NULL;
    g_spawn_command_line_sync(map, &out, NULL, NULL, NULL);
    /* The read cluster (at 128 KiB) is in the overlay (depth 0), the
     * first one was never read and is still the backing file's. */
    g_autofree char *want_top = g_strdup("\"start\": 131072, \"length\": "
                                         "65536, \"depth\": 0");
    CHECK(out && strstr(out, want_top), "qemu-img map: the cluster read "
          "is now allocated in the overlay");
    CHECK(out && strstr(out, "\"start\": 0, \"length\": 131072, "
                        "\"depth\": 1"),
          "qemu-img map: what was not read is still in the backing file");
    if (failed && out) {
        printf("# %s\n", out);
    }
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    if (system(rm) != 0) {
        printf("# could not remove %s\n", dir);
    }
    printf("1..%d\n", n);
    return failed;
}
