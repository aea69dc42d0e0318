/*
 * dev-harness.h - what the device plugin tests share: loading a plugin
 * from the build tree into a process that links the core, a machine to
 * hang devices on, MMIO access, interrupt lines that remember their level
 * and running the main loop until something happens.
 */
#ifndef TESTS_HARNESS_DEV_HARNESS_H
#define TESTS_HARNESS_DEV_HARNESS_H

#include <tessera/tessera.h>
#include <libfdt.h>

/*
 * Set up the core (loop, object model, the "none" machine as /machine)
 * and load the plugin that provides device `type` from
 * $TESSERA_BUILD_ROOT/plugins.  Returns false after printing a TAP skip
 * line when the tests are not run from the build (no TESSERA_BUILD_ROOT);
 * a plugin that fails to load is a test failure.  type NULL: only the
 * core (plugins of other kinds are loaded when first named).
 */
bool harness_init(const char *type);

/* An interrupt line that records the last level and how often it rose. */
typedef struct TestIrq {
    TsIrq *line;
    int level;
    unsigned raised;
} TestIrq;
TestIrq *test_irq_new(void);
/* The same, numbered like input `number` of an interrupt controller: what
 * ts_irq_number() answers, so a device tree names it. */
TestIrq *test_irq_new_at(unsigned number);
void test_irq_free(TestIrq *irq);

/*
 * Create a device of `type` under /machine as `name`, set the properties
 * given as "key=value" strings (NULL-terminated), wire its "irq" output 0
 * to `irq` (may be NULL: unwired) as a board does (ts_mmio_device_place
 * for an mmio-device) and realize it.  Aborts the test on failure.
 */
TsDevice *harness_device(const char *type, const char *name, TestIrq *irq,
                         const char *const *props);
/* Like harness_device, but returns NULL and the error when realize fails
 * (the device is then removed again). */
TsDevice *harness_try_device(const char *type, const char *name,
                             const char *const *props, GError **errp);
/* Unrealize and drop the device. */
void harness_destroy(TsDevice *dev);

/* A chardev from -chardev style options ("ringbuf,id=rb"); asserts it
 * was created. */
TsChardev *harness_chardev(const char *opts);

/* 1, 2, 4 or 8-byte access to system memory; asserts TS_MEM_OK. */
uint64_t mmio_read(uint64_t addr, unsigned size);
void mmio_write(uint64_t addr, unsigned size, uint64_t value);

/* Run the main loop until cond(opaque) holds (true) or `timeout_ms` of
 * host time passed (false).  The timeout only keeps a broken device from
 * hanging the test; it is never what a test checks. */
bool run_until(bool (*cond)(void *opaque), void *opaque, int timeout_ms);

/* A 64 KiB device tree with an empty /soc whose #address-cells and
 * #size-cells are given; *soc gets its offset.  g_free it. */
void *harness_fdt_with_soc(unsigned addr_cells, unsigned size_cells,
                           int *soc);

/* Property `name` of `node` as cells: asserts it exists and is a whole
 * number of cells, *ncells gets their count. */
const fdt32_t *harness_fdt_cells(const void *fdt, int node, const char *name,
                                 int *ncells);

#endif
