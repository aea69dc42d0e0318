/*
 * test-rv-api.c - the hart's C API and behaviour that needs no assembler:
 * configuration errors, ISA string, register access, decoder corner cases,
 * cross-thread interrupt lines, hostile guest accesses.
 */
#include "rv-harness.h"
#include "rv-insn.h"

static uint64_t no_time(void *o) { return 0; }
static int no_load(void *o, uint64_t a, unsigned s, uint64_t *v) { return -1; }
static int no_store(void *o, uint64_t a, unsigned s, uint64_t v) { return -1; }

static void test_config_errors(void)
{
    RvCpuConfig cfg = { .bus = { .load = no_load, .store = no_store }, .get_time = no_time };
    GError *err = NULL;

    cfg.pmp_entries = 17;
    g_assert_null(rv_cpu_new(&cfg, &err));
    g_assert_error(err, TS_ERROR, TS_ERROR_INVALID);
    g_clear_error(&err);
    cfg.pmp_entries = 0;
    cfg.ext = RV_EXT_D;
    g_assert_null(rv_cpu_new(&cfg, &err));
    g_assert_nonnull(strstr(err->message, "'d' requires 'f'"));
    g_clear_error(&err);
    cfg.ext = 0;
    cfg.bus.load = NULL;
    g_assert_null(rv_cpu_new(&cfg, &err));
    g_clear_error(&err);
}

static void test_isa_string(void)
{
    RvHarness *h = rv_harness_new(0);
    g_autofree char *isa = rv_cpu_isa_string(h->cpu);
    g_assert_cmpstr(isa, ==, "rv64imafdc_zicsr_zifencei_zicntr_zihpm_sstc_svpbmt");
    uint64_t misa;
    g_assert_true(rv_cpu_read_csr(h->cpu, 0x301, &misa));
    g_assert_cmphex(misa, ==, (2ull << 62) | 0x14112d);  /* I M A F D C S U */
    rv_harness_free(h);

    h = rv_harness_new(RV_EXT_M | RV_EXT_S | RV_EXT_U);
    g_autofree char *isa2 = rv_cpu_isa_string(h->cpu);
    g_assert_cmpstr(isa2, ==, "rv64im_zicsr");
    rv_harness_free(h);

    uint32_t bit;
    g_assert_true(rv_ext_from_name("Sstc", &bit));
    g_assert_cmpuint(bit, ==, RV_EXT_SSTC);
    g_assert_false(rv_ext_from_name("zzz", &bit));
}

static void test_registers(void)
{
    RvHarness *h = rv_harness_new(0);
    uint64_t v;
    rv_cpu_set_xreg(h->cpu, 10, 0x1234);
    rv_cpu_set_xreg(h->cpu, 0, 99);                 /* x0 stays zero */
    g_assert_cmpuint(rv_cpu_get_xreg(h->cpu, 0), ==, 0);
    g_assert_true(rv_cpu_read_register(h->cpu, "a0", &v));
    g_assert_cmphex(v, ==, 0x1234);
    g_assert_true(rv_cpu_read_register(h->cpu, "x10", &v));
    g_assert_cmphex(v, ==, 0x1234);
    g_assert_true(rv_cpu_read_register(h->cpu, "pc", &v));
    g_assert_cmphex(v, ==, RV_RAM_BASE);
    g_assert_true(rv_cpu_read_register(h->cpu, "mhartid", &v));
    g_assert_false(rv_cpu_read_register(h->cpu, "x32", &v));
    g_assert_false(rv_cpu_read_register(h->cpu, "nonsense", &v));
    GString *s = g_string_new(NULL);
    rv_cpu_dump_state(h->cpu, s);
    g_assert_nonnull(strstr(s->str, "x10/a0   0000000000001234"));
    g_assert_nonnull(strstr(s->str, "mstatus"));
    g_string_free(s, true);
    rv_harness_free(h);
}

static void test_decoder(void)
{
    RvInsn in;
    uint32_t all = RV_EXT_DEFAULT;

    rv_decode(0x0000, all, &in);            /* all zeros: defined illegal */
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    g_assert_cmpuint(in.len, ==, 2);
    rv_decode(0xffffffff, all, &in);
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    rv_decode(0x00a50533, all, &in);        /* add a0, a0, a0 */
    g_assert_cmpuint(in.op, ==, RV_OP_ADD);
    g_assert_cmpuint(in.rd, ==, 10);
    rv_decode(0x4501, all, &in);            /* c.li a0, 0 */
    g_assert_cmpuint(in.op, ==, RV_OP_ADDI);
    g_assert_cmpuint(in.len, ==, 2);
    rv_decode(0x4501, RV_EXT_M, &in);       /* no C: illegal */
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    rv_decode(0x6101, all, &in);            /* c.addi16sp 0: reserved */
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    rv_decode(0x02b50533, RV_EXT_C, &in);   /* mul without M */
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    rv_decode(0x02b50533, all, &in);
    g_assert_cmpuint(in.op, ==, RV_OP_MUL);
    rv_decode(0x00b57553, all, &in);        /* fadd.s fa0,fa0,fa1 with rm=7 (dyn) */
    g_assert_cmpuint(in.op, ==, RV_OP_FADD_S);
    g_assert_cmpuint(in.rm, ==, 7);
    rv_decode(0x00b55553, all, &in);        /* rm = 5: reserved */
    g_assert_cmpuint(in.op, ==, RV_OP_ILLEGAL);
    rv_decode(0x30200073, all, &in);
    g_assert_cmpuint(in.op, ==, RV_OP_MRET);
    g_assert_cmpstr(rv_op_name(RV_OP_SFENCE_VMA), ==, "sfence.vma");
    char buf[64];
    rv_decode(0xfff50513, all, &in);        /* addi a0, a0, -1 */
    rv_disassemble(&in, 0, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "addi a0, a0, -1");
}

/* Execute `words` at RAM base for `n` steps on a fresh harness. */
static RvHarness *run_words(const uint32_t *words, size_t count, uint64_t n)
{
    RvHarness *h = rv_harness_new(0);
    rv_harness_load(h, RV_RAM_BASE, words, count * 4);
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE);   /* mtvec: the program */
    rv_cpu_run(h->cpu, n, NULL);
    return h;
}

static void test_wild_access(void)
{
    /* ld a0, 0(a1) with a1 pointing nowhere, mtvec = RAM base + 0x100 */
    static const uint32_t prog[] = { 0x0005b503 };
    RvHarness *h = rv_harness_new(0);
    uint64_t v;
    rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
    rv_cpu_set_xreg(h->cpu, 11, 0xdead0000000ull);
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_run(h->cpu, 1, NULL);
    g_assert_cmphex(rv_cpu_get_pc(h->cpu), ==, RV_RAM_BASE + 0x100);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 5);             /* load access fault */
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, 0xdead0000000ull);
    /* executing from nowhere: instruction access fault, no crash */
    rv_cpu_set_pc(h->cpu, 0x10);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 1);
    rv_harness_free(h);

    /* misaligned accesses to a device trap with address-misaligned and
     * never reach it in pieces: ld a0, 0(a1) then sw a0, 0(a1) */
    static const uint32_t mis[] = { 0x0005b503, 0x00a5a023 };
    h = rv_harness_new(0);
    rv_harness_load(h, RV_RAM_BASE, mis, sizeof(mis));
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_set_xreg(h->cpu, 11, RV_TESTDEV + 0x11);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 4);             /* load address misaligned */
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, RV_TESTDEV + 0x11);
    rv_cpu_set_pc(h->cpu, RV_RAM_BASE + 4);
    rv_cpu_set_xreg(h->cpu, 11, RV_TESTDEV + 0x19);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 6);             /* store address misaligned */
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, RV_TESTDEV + 0x19);
    g_assert_cmpuint(h->debug->len, ==, 0);
    rv_harness_free(h);

    /* executing from a device: instruction access fault, and the device
     * never sees a read */
    h = rv_harness_new(0);
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_set_pc(h->cpu, RV_TESTDEV);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 1);
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, RV_TESTDEV);
    rv_harness_free(h);

    /* page tables in a device: the walk is an access fault (here a load
     * from S-mode through Sv39 with the root table at the device) */
    static const uint32_t sload[] = { 0x0005b503 };     /* ld a0, 0(a1) */
    h = rv_harness_new(0);
    rv_harness_load(h, RV_RAM_BASE, sload, sizeof(sload));
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_write_csr(h->cpu, 0x180, (8ull << 60) | (RV_TESTDEV >> 12));
    rv_cpu_write_csr(h->cpu, 0x300, 1ull << 17 | 1ull << 11); /* MPRV, MPP=S */
    rv_cpu_set_xreg(h->cpu, 11, 0x1000);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 5);             /* load access fault */
    g_assert_cmpuint(h->debug->len, ==, 0);
    rv_harness_free(h);

    /* an illegal instruction storm with mtvec pointing at itself still
     * returns after the budget */
    static const uint32_t bad[] = { 0xffffffff };
    h = run_words(bad, 1, 1000);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 2);
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, 0xffffffff);
    rv_harness_free(h);
}

/* Without C: 2-byte aligned jump targets trap, compressed code is illegal. */
static void test_no_compressed(void)
{
    static const uint32_t prog[] = { 0x0060006f /* jal x0, .+6 */ };
    RvHarness *h = rv_harness_new(RV_EXT_DEFAULT & ~RV_EXT_C);
    uint64_t v;
    rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 0);             /* instruction address misaligned */
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, RV_RAM_BASE + 6);
    rv_cpu_read_csr(h->cpu, 0x341, &v);
    g_assert_cmphex(v, ==, RV_RAM_BASE);
    g_autofree char *isa = rv_cpu_isa_string(h->cpu);
    g_assert_true(g_str_has_prefix(isa, "rv64imafd_"));
    rv_harness_free(h);

    static const uint16_t cli[] = { 0x4501, 0x0000 };
    h = rv_harness_new(RV_EXT_DEFAULT & ~RV_EXT_C);
    rv_harness_load(h, RV_RAM_BASE, cli, sizeof(cli));
    rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
    rv_cpu_run(h->cpu, 1, NULL);
    rv_cpu_read_csr(h->cpu, 0x342, &v);
    g_assert_cmpuint(v, ==, 2);
    rv_cpu_read_csr(h->cpu, 0x343, &v);
    g_assert_cmphex(v, ==, 0x4501);
    rv_harness_free(h);
}

/*
 * Code changed behind the hart's back (another hart or DMA: here the host
 * writes RAM directly) must run after the hart's next fence.i, under the
 * JIT too: a loop does fence.i and calls a routine in another page whose
 * first instruction is rewritten between two runs.
 */
static void test_jit_fence_i_foreign_write(void)
{
    static const uint32_t loop[] = {
        0x0000100f,     /* fence.i */
        0x7fd000ef,     /* jal ra, routine (RAM + 0x1000) */
        0xff9ff06f,     /* j back to the fence.i */
    };
    static const uint32_t routine[] = {
        0x00100513,     /* li a0, 1 */
        0x00008067,     /* ret */
    };
    const uint32_t two = 0x00200513;        /* li a0, 2 */

    for (int jit = 0; jit < 2; jit++) {
        RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
        rv_harness_load(h, RV_RAM_BASE, loop, sizeof(loop));
        rv_harness_load(h, RV_RAM_BASE + 0x1000, routine, sizeof(routine));
        rv_cpu_run(h->cpu, 5000, NULL);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 10), ==, 1);
        memcpy(h->ram + 0x1000, &two, 4);
        rv_cpu_run(h->cpu, 5000, NULL);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 10), ==, 2);
        rv_harness_free(h);
    }
}

/*
 * A load that faults in the middle of a block leaves exactly the state
 * before it: registers written earlier in the block are in place (the JIT
 * keeps them in host registers until then) and the load's destination,
 * whose host register had nothing in it yet, keeps its old value.
 */
static void test_precise_fault_mid_block(void)
{
    static const uint32_t prog[] = {
        0x00500593,     /* li a1, 5 */
        0x00158593,     /* addi a1, a1, 1 */
        0x0002b503,     /* ld a0, 0(t0): t0 = 0x10, nothing there */
        0x00a50533,     /* add a0, a0, a0 */
        0x00a50533,     /* add a0, a0, a0 */
    };
    static const uint32_t handler[] = { 0x0000006f /* j . */ };

    for (int jit = 0; jit < 2; jit++) {
        RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
        uint64_t v;
        rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
        rv_harness_load(h, RV_RAM_BASE + 0x100, handler, sizeof(handler));
        rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
        rv_cpu_set_xreg(h->cpu, 5, 0x10);
        rv_cpu_set_xreg(h->cpu, 10, 0x1234);
        rv_cpu_run(h->cpu, 10, NULL);
        rv_cpu_read_csr(h->cpu, 0x342, &v);
        g_assert_cmpuint(v, ==, 5);                     /* load access fault */
        rv_cpu_read_csr(h->cpu, 0x341, &v);
        g_assert_cmphex(v, ==, RV_RAM_BASE + 8);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 11), ==, 6);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 10), ==, 0x1234);
        rv_harness_free(h);
    }
}

/*
 * The same in the second round of a loop the JIT keeps inside one block
 * (the branch back jumps to the block's body with the registers still in
 * host registers): what the first round wrote after the faulting load
 * must be in place when the load faults in the second.
 */
static void test_precise_fault_second_round(void)
{
    static const uint32_t prog[] = {
        0x0002b503,     /* 1: ld a0, 0(t0) */
        0x00158593,     /* addi a1, a1, 1 */
        0x00158593,     /* addi a1, a1, 1 */
        0x006282b3,     /* add t0, t0, t1 */
        0xfec598e3,     /* bne a1, a2, 1b */
    };
    static const uint32_t handler[] = { 0x0000006f /* j . */ };

    for (int jit = 0; jit < 2; jit++) {
        RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
        uint64_t v;
        rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
        rv_harness_load(h, RV_RAM_BASE + 0x100, handler, sizeof(handler));
        rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
        rv_cpu_set_xreg(h->cpu, 5, RV_RAM_BASE + 0x800);    /* t0 */
        rv_cpu_set_xreg(h->cpu, 6, -RV_RAM_BASE);           /* t1: then 0x800 */
        rv_cpu_set_xreg(h->cpu, 12, 100);                   /* a2 */
        rv_cpu_run(h->cpu, 20, NULL);
        rv_cpu_read_csr(h->cpu, 0x342, &v);
        g_assert_cmpuint(v, ==, 5);                     /* load access fault */
        rv_cpu_read_csr(h->cpu, 0x341, &v);
        g_assert_cmphex(v, ==, RV_RAM_BASE);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 11), ==, 2);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 5), ==, 0x800);
        rv_harness_free(h);
    }
}

/*
 * An interrupt that a CSR write enables is taken right after that write,
 * also under the JIT, which goes on past CSR instructions only when
 * nothing is pending and enabled.
 */
static void test_irq_after_csr_write(void)
{
    static const uint32_t prog[] = {
        0x00800293,     /* li t0, 8 (MSI) */
        0x3042a073,     /* csrs mie, t0 */
        0x00100337,     /* lui t1, 0x100 (the test device) */
        0x00532823,     /* sw t0, 16(t1): raise MSI */
        0x30046073,     /* csrsi mstatus, 8 (MIE): taken here */
        0x00100513,     /* li a0, 1: must not run */
        0x0000006f,     /* j . */
    };
    static const uint32_t handler[] = { 0x0000006f /* j . */ };

    for (int jit = 0; jit < 2; jit++) {
        RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
        uint64_t v;
        rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
        rv_harness_load(h, RV_RAM_BASE + 0x100, handler, sizeof(handler));
        rv_cpu_write_csr(h->cpu, 0x305, RV_RAM_BASE + 0x100);
        rv_cpu_run(h->cpu, 100, NULL);
        rv_cpu_read_csr(h->cpu, 0x342, &v);
        g_assert_cmphex(v, ==, (1ull << 63) | RV_IRQ_MSI);
        rv_cpu_read_csr(h->cpu, 0x341, &v);
        g_assert_cmphex(v, ==, RV_RAM_BASE + 0x14);
        g_assert_cmphex(rv_cpu_get_xreg(h->cpu, 10), ==, 0);
        rv_harness_free(h);
    }
}

typedef struct { RvCpu *cpu; } IrqArg;

static gpointer raise_thread(gpointer p)
{
    IrqArg *a = p;
    g_usleep(20000);
    rv_cpu_set_irq(a->cpu, RV_IRQ_MEI, true);
    return NULL;
}

static void test_irq_from_thread(void)
{
    /* wfi; then spin.  mie.MEIE set but mstatus.MIE clear: WFI wakes, no trap */
    static const uint32_t prog[] = { 0x10500073, 0x0000006f };
    RvHarness *h = rv_harness_new(0);
    rv_harness_load(h, RV_RAM_BASE, prog, sizeof(prog));
    rv_cpu_write_csr(h->cpu, 0x304, 1u << RV_IRQ_MEI);
    g_assert_cmpint(rv_cpu_run(h->cpu, 100, NULL), ==, RV_STOP_WFI);
    g_assert_false(rv_cpu_has_work(h->cpu));
    IrqArg a = { h->cpu };
    GThread *t = g_thread_new("irq", raise_thread, &a);
    while (!rv_cpu_has_work(h->cpu)) {
        g_usleep(1000);
    }
    g_thread_join(t);
    g_assert_cmpint(rv_cpu_run(h->cpu, 100, NULL), ==, RV_STOP_BUDGET);
    g_assert_cmphex(rv_cpu_get_pc(h->cpu), ==, RV_RAM_BASE + 4);
    rv_cpu_request_exit(h->cpu);
    g_assert_cmpint(rv_cpu_run(h->cpu, 100, NULL), ==, RV_STOP_EXIT);
    rv_harness_free(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv/api/config-errors", test_config_errors);
    g_test_add_func("/riscv/api/isa-string", test_isa_string);
    g_test_add_func("/riscv/api/registers", test_registers);
    g_test_add_func("/riscv/api/decoder", test_decoder);
    g_test_add_func("/riscv/api/wild-access", test_wild_access);
    g_test_add_func("/riscv/api/no-compressed", test_no_compressed);
    g_test_add_func("/riscv/api/irq-from-thread", test_irq_from_thread);
    g_test_add_func("/riscv/api/jit-fence-i-foreign-write", test_jit_fence_i_foreign_write);
    g_test_add_func("/riscv/api/precise-fault-mid-block", test_precise_fault_mid_block);
    g_test_add_func("/riscv/api/precise-fault-second-round", test_precise_fault_second_round);
    g_test_add_func("/riscv/api/irq-after-csr-write", test_irq_after_csr_write);
    return g_test_run();
}
