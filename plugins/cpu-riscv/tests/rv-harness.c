/*
 * rv-harness.c - the bare test machine of rv-harness.h.
 */
#include "rv-harness.h"

#include <stdio.h>
#include <stdlib.h>

static bool in_ram(uint64_t pa, uint64_t len)
{
    return pa >= RV_RAM_BASE && len <= RV_RAM_SIZE && pa - RV_RAM_BASE <= RV_RAM_SIZE - len;
}

static int bus_load(void *opaque, uint64_t pa, unsigned size, uint64_t *val)
{
    RvHarness *h = opaque;
    if (in_ram(pa, size)) {
        *val = 0;
        memcpy(val, h->ram + (pa - RV_RAM_BASE), size);
        return 0;
    }
    if (pa >= RV_TESTDEV && pa < RV_TESTDEV + 0x20) {
        *val = pa == RV_TESTDEV + 0x10 ? h->irq_lines : 0;
        return 0;
    }
    return -1;
}

static int bus_store(void *opaque, uint64_t pa, unsigned size, uint64_t val)
{
    RvHarness *h = opaque;
    if (in_ram(pa, size)) {
        memcpy(h->ram + (pa - RV_RAM_BASE), &val, size);
        return 0;
    }
    switch (pa) {
    case RV_TESTDEV:
        h->finished = true;
        h->finish_code = (uint32_t)val;
        rv_cpu_request_exit(h->cpu);
        return 0;
    case RV_TESTDEV + 0x08:
        g_string_append_c(h->console, (char)val);
        return 0;
    case RV_TESTDEV + 0x10: {
        static const unsigned lines[] = { RV_IRQ_MSI, RV_IRQ_MTI, RV_IRQ_SEI, RV_IRQ_MEI };
        h->irq_lines = (uint32_t)val;
        for (unsigned i = 0; i < G_N_ELEMENTS(lines); i++) {
            rv_cpu_set_irq(h->cpu, lines[i], (val >> lines[i]) & 1);
        }
        return 0;
    }
    case RV_TESTDEV + 0x18:
        g_array_append_val(h->debug, val);
        return 0;
    }
    return -1;
}

static void *bus_ram_ptr(void *opaque, uint64_t pa, uint64_t len, bool write)
{
    RvHarness *h = opaque;
    return in_ram(pa, len) ? h->ram + (pa - RV_RAM_BASE) : NULL;
}

static uint64_t get_time(void *opaque)
{
    RvHarness *h = opaque;
    return h->time++;
}

/* RV_HARNESS_JIT_LOG=1 in the environment prints every block's IR
 * (before and after the optimiser) on stderr, to debug a failing test. */
static void print_jit_ir(void *opaque, uint64_t pc, bool optimised, const char *text)
{
    fprintf(stderr, "IR%s for pc 0x%" PRIx64 ":\n%s\n", optimised ? " (optimised)" : "",
            pc, text);
}

static void print_jit_code(void *opaque, uint64_t pc, const uint8_t *code, size_t size)
{
    fprintf(stderr, "CODE for pc 0x%" PRIx64 ":", pc);
    for (size_t i = 0; i < size; i++) {
        fprintf(stderr, "%s%02x", i % 32 ? " " : "\n", code[i]);
    }
    fprintf(stderr, "\n");
}

RvHarness *rv_harness_new(uint32_t ext)
{
    RvHarness *h = g_new0(RvHarness, 1);
    RvCpuConfig cfg = {
        .hart_id = 0, .ext = ext,
        .bus = { .opaque = h, .load = bus_load, .store = bus_store, .ram_ptr = bus_ram_ptr },
        .get_time = get_time, .time_opaque = h,
        .on_jit_ir = getenv("RV_HARNESS_JIT_LOG") ? print_jit_ir : NULL,
        .on_jit_code = getenv("RV_HARNESS_JIT_LOG") ? print_jit_code : NULL,
    };
    GError *err = NULL;

    h->ram = g_malloc0(RV_RAM_SIZE);
    h->console = g_string_new(NULL);
    h->debug = g_array_new(false, false, sizeof(uint64_t));
    h->cpu = rv_cpu_new(&cfg, &err);
    g_assert_no_error(err);
    rv_cpu_reset(h->cpu, RV_RAM_BASE);
    return h;
}

RvHarness *rv_harness_new_jit(uint32_t ext)
{
    RvHarness *h = rv_harness_new(ext);
    GError *err = NULL;

    /* a small cache, so that tests also exercise flushing it when full */
    rv_cpu_enable_jit(h->cpu, 1u << 20, false, &err);
    g_assert_no_error(err);
    /* compile every block at once, so the tests test compiled code */
    rv_cpu_jit_set_threshold(h->cpu, 0);
    return h;
}

void rv_harness_free(RvHarness *h)
{
    rv_cpu_free(h->cpu);
    g_free(h->ram);
    g_string_free(h->console, true);
    g_array_free(h->debug, true);
    g_free(h);
}

void rv_harness_load(RvHarness *h, uint64_t addr, const void *data, size_t len)
{
    g_assert_true(in_ram(addr, len));
    memcpy(h->ram + (addr - RV_RAM_BASE), data, len);
}

bool rv_harness_load_file(RvHarness *h, const char *path, GError **errp)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, errp)) {
        return false;
    }
    if (len > RV_RAM_SIZE) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: too big", path);
        g_free(data);
        return false;
    }
    rv_harness_load(h, RV_RAM_BASE, data, len);
    g_free(data);
    return true;
}

uint32_t rv_harness_run(RvHarness *h, uint64_t max_insns)
{
    uint64_t spent = 0;
    while (!h->finished && spent < max_insns) {
        uint64_t n = 0;
        RvStop why = rv_cpu_run(h->cpu, max_insns - spent, &n);
        spent += n;
        if (why == RV_STOP_WFI) {
            /* nothing will wake it but time: advance the clock */
            h->time += 1000;
            if (!rv_cpu_has_work(h->cpu) && rv_cpu_timer_deadline(h->cpu) == UINT64_MAX) {
                break;
            }
        }
    }
    return h->finished ? h->finish_code : 0;
}

char *rv_harness_report(RvHarness *h)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "finish=0x%x (code %u) console='%s' debug=[",
                           h->finish_code, h->finish_code >> 16, h->console->str);
    for (unsigned i = 0; i < h->debug->len; i++) {
        g_string_append_printf(s, "%s0x%" PRIx64, i ? " " : "",
                               g_array_index(h->debug, uint64_t, i));
    }
    g_string_append(s, "]\n");
    rv_cpu_dump_state(h->cpu, s);
    return g_string_free(s, false);
}
