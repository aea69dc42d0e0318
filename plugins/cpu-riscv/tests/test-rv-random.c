/*
 * test-rv-random.c - random differential test of the integer core.
 *
 * Random straight-line programs of RV64IM register-register and immediate
 * instructions (32-bit and compressed encodings) are encoded here from a
 * structured form, run on the interpreter, and compared register by
 * register with a small reference evaluator that works on the structured
 * form directly.  The reference is written from the ISA manual and shares
 * no code with the hart's decoder or executor.
 */
#include "rv-harness.h"

typedef enum {
    R_ADD, R_SUB, R_SLL, R_SLT, R_SLTU, R_XOR, R_SRL, R_SRA, R_OR, R_AND,
    R_ADDW, R_SUBW, R_SLLW, R_SRLW, R_SRAW,
    R_MUL, R_MULH, R_MULHSU, R_MULHU, R_DIV, R_DIVU, R_REM, R_REMU,
    R_MULW, R_DIVW, R_DIVUW, R_REMW, R_REMUW,
    I_ADDI, I_SLTI, I_SLTIU, I_XORI, I_ORI, I_ANDI, I_SLLI, I_SRLI, I_SRAI,
    I_ADDIW, I_SLLIW, I_SRLIW, I_SRAIW, U_LUI, U_AUIPC,
    /* compressed: semantics of the base op they name */
    C_ADDI, C_LI, C_LUI, C_ADDIW, C_SLLI, C_SRLI, C_SRAI, C_ANDI, C_MV, C_ADD,
    C_SUB, C_XOR, C_OR, C_AND, C_SUBW, C_ADDW,
    OP_COUNT
} Op;

typedef struct { Op op; unsigned rd, rs1, rs2; int64_t imm; } Ins;

/* funct3/funct7 of the R-type ops, in enum order */
static const struct { unsigned opc, f3, f7; } rtype[] = {
    [R_ADD] = { 0x33, 0, 0 }, [R_SUB] = { 0x33, 0, 0x20 }, [R_SLL] = { 0x33, 1, 0 },
    [R_SLT] = { 0x33, 2, 0 }, [R_SLTU] = { 0x33, 3, 0 }, [R_XOR] = { 0x33, 4, 0 },
    [R_SRL] = { 0x33, 5, 0 }, [R_SRA] = { 0x33, 5, 0x20 }, [R_OR] = { 0x33, 6, 0 },
    [R_AND] = { 0x33, 7, 0 }, [R_ADDW] = { 0x3b, 0, 0 }, [R_SUBW] = { 0x3b, 0, 0x20 },
    [R_SLLW] = { 0x3b, 1, 0 }, [R_SRLW] = { 0x3b, 5, 0 }, [R_SRAW] = { 0x3b, 5, 0x20 },
    [R_MUL] = { 0x33, 0, 1 }, [R_MULH] = { 0x33, 1, 1 }, [R_MULHSU] = { 0x33, 2, 1 },
    [R_MULHU] = { 0x33, 3, 1 }, [R_DIV] = { 0x33, 4, 1 }, [R_DIVU] = { 0x33, 5, 1 },
    [R_REM] = { 0x33, 6, 1 }, [R_REMU] = { 0x33, 7, 1 }, [R_MULW] = { 0x3b, 0, 1 },
    [R_DIVW] = { 0x3b, 4, 1 }, [R_DIVUW] = { 0x3b, 5, 1 }, [R_REMW] = { 0x3b, 6, 1 },
    [R_REMUW] = { 0x3b, 7, 1 },
};
static const unsigned itype_f3[] = {
    [I_ADDI - I_ADDI] = 0, [I_SLTI - I_ADDI] = 2, [I_SLTIU - I_ADDI] = 3,
    [I_XORI - I_ADDI] = 4, [I_ORI - I_ADDI] = 6, [I_ANDI - I_ADDI] = 7,
};

static unsigned creg(unsigned r) { return r - 8; }

/* Returns the encoding length (2 or 4) and writes the bits. */
static unsigned encode(const Ins *in, uint32_t *w)
{
    uint32_t rd = in->rd, rs1 = in->rs1, rs2 = in->rs2, imm = (uint32_t)in->imm;
    switch (in->op) {
    case R_ADD ... R_REMUW:
        *w = rtype[in->op].f7 << 25 | rs2 << 20 | rs1 << 15 | rtype[in->op].f3 << 12 |
             rd << 7 | rtype[in->op].opc;
        return 4;
    case I_ADDI ... I_ANDI:
        *w = (imm & 0xfff) << 20 | rs1 << 15 | itype_f3[in->op - I_ADDI] << 12 | rd << 7 | 0x13;
        return 4;
    case I_SLLI: *w = (imm & 63) << 20 | rs1 << 15 | 1 << 12 | rd << 7 | 0x13; return 4;
    case I_SRLI: *w = (imm & 63) << 20 | rs1 << 15 | 5 << 12 | rd << 7 | 0x13; return 4;
    case I_SRAI: *w = 0x10u << 26 | (imm & 63) << 20 | rs1 << 15 | 5 << 12 | rd << 7 | 0x13; return 4;
    case I_ADDIW: *w = (imm & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x1b; return 4;
    case I_SLLIW: *w = (imm & 31) << 20 | rs1 << 15 | 1 << 12 | rd << 7 | 0x1b; return 4;
    case I_SRLIW: *w = (imm & 31) << 20 | rs1 << 15 | 5 << 12 | rd << 7 | 0x1b; return 4;
    case I_SRAIW: *w = 0x20u << 25 | (imm & 31) << 20 | rs1 << 15 | 5 << 12 | rd << 7 | 0x1b; return 4;
    case U_LUI: *w = (imm & 0xfffff) << 12 | rd << 7 | 0x37; return 4;
    case U_AUIPC: *w = (imm & 0xfffff) << 12 | rd << 7 | 0x17; return 4;
    case C_ADDI: case C_LI: case C_ADDIW:
        *w = (in->op == C_ADDI ? 0u : in->op == C_ADDIW ? 1u : 2u) << 13 |
             ((imm >> 5) & 1) << 12 | rd << 7 | (imm & 31) << 2 | 1;
        return 2;
    case C_LUI: *w = 3u << 13 | ((imm >> 5) & 1) << 12 | rd << 7 | (imm & 31) << 2 | 1; return 2;
    case C_SLLI: *w = ((imm >> 5) & 1) << 12 | rd << 7 | (imm & 31) << 2 | 2; return 2;
    case C_SRLI: case C_SRAI: case C_ANDI:
        *w = 4u << 13 | ((imm >> 5) & 1) << 12 |
             (in->op == C_SRLI ? 0u : in->op == C_SRAI ? 1u : 2u) << 10 |
             creg(rd) << 7 | (imm & 31) << 2 | 1;
        return 2;
    case C_MV: *w = 4u << 13 | rd << 7 | rs2 << 2 | 2; return 2;
    case C_ADD: *w = 4u << 13 | 1 << 12 | rd << 7 | rs2 << 2 | 2; return 2;
    default: { /* C_SUB..C_ADDW */
        static const unsigned f[][2] = { {0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 1} };
        unsigned k = in->op - C_SUB;
        *w = 4u << 13 | f[k][0] << 12 | 3u << 10 | creg(rd) << 7 | f[k][1] << 5 |
             creg(rs2) << 2 | 1;
        return 2;
    }
    }
}

static uint64_t sx(uint64_t v) { return (uint64_t)(int64_t)(int32_t)(uint32_t)v; }

/* The reference semantics, straight from the ISA manual's prose. */
static void reference(uint64_t *r, const Ins *in, uint64_t pc)
{
    uint64_t a = r[in->rs1], b = r[in->rs2], res = 0;
    int64_t sa = (int64_t)a, sb = (int64_t)b, imm = in->imm;
    int32_t wa = (int32_t)a, wb = (int32_t)b;
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    switch (in->op) {
    case R_ADD: case C_ADD: res = a + b; break;
    case C_MV: res = b; break;
    case R_SUB: case C_SUB: res = a - b; break;
    case R_SLL: res = a << (b % 64); break;
    case R_SLT: res = sa < sb; break;
    case R_SLTU: res = a < b; break;
    case R_XOR: case C_XOR: res = a ^ b; break;
    case R_SRL: res = a >> (b % 64); break;
    case R_SRA: res = (uint64_t)(sa >> (b % 64)); break;
    case R_OR: case C_OR: res = a | b; break;
    case R_AND: case C_AND: res = a & b; break;
    case R_ADDW: case C_ADDW: res = sx(ua + ub); break;
    case R_SUBW: case C_SUBW: res = sx(ua - ub); break;
    case R_SLLW: res = sx(ua << (b % 32)); break;
    case R_SRLW: res = sx(ua >> (b % 32)); break;
    case R_SRAW: res = sx((uint32_t)(wa >> (b % 32))); break;
    case R_MUL: res = a * b; break;
    case R_MULH: res = (uint64_t)(((__int128)sa * sb) >> 64); break;
    case R_MULHSU: res = (uint64_t)(((__int128)sa * (__int128)(unsigned __int128)b) >> 64); break;
    case R_MULHU: res = (uint64_t)(((unsigned __int128)a * b) >> 64); break;
    case R_DIV: res = b == 0 ? UINT64_MAX : (sa == INT64_MIN && sb == -1) ? a : (uint64_t)(sa / sb); break;
    case R_DIVU: res = b == 0 ? UINT64_MAX : a / b; break;
    case R_REM: res = b == 0 ? a : (sa == INT64_MIN && sb == -1) ? 0 : (uint64_t)(sa % sb); break;
    case R_REMU: res = b == 0 ? a : a % b; break;
    case R_MULW: res = sx(ua * ub); break;
    case R_DIVW: res = wb == 0 ? UINT64_MAX : (wa == INT32_MIN && wb == -1) ? sx(ua) : sx((uint32_t)(wa / wb)); break;
    case R_DIVUW: res = ub == 0 ? UINT64_MAX : sx(ua / ub); break;
    case R_REMW: res = wb == 0 ? sx(ua) : (wa == INT32_MIN && wb == -1) ? 0 : sx((uint32_t)(wa % wb)); break;
    case R_REMUW: res = ub == 0 ? sx(ua) : sx(ua % ub); break;
    case I_ADDI: case C_ADDI: res = a + (uint64_t)imm; break;
    case C_LI: res = (uint64_t)imm; break;
    case I_SLTI: res = sa < imm; break;
    case I_SLTIU: res = a < (uint64_t)imm; break;
    case I_XORI: res = a ^ (uint64_t)imm; break;
    case I_ORI: res = a | (uint64_t)imm; break;
    case I_ANDI: case C_ANDI: res = a & (uint64_t)imm; break;
    case I_SLLI: case C_SLLI: res = a << imm; break;
    case I_SRLI: case C_SRLI: res = a >> imm; break;
    case I_SRAI: case C_SRAI: res = (uint64_t)(sa >> imm); break;
    case I_ADDIW: case C_ADDIW: res = sx(ua + (uint32_t)imm); break;
    case I_SLLIW: res = sx(ua << imm); break;
    case I_SRLIW: res = sx(ua >> imm); break;
    case I_SRAIW: res = sx((uint32_t)(wa >> imm)); break;
    case U_LUI: case C_LUI: res = sx((uint32_t)imm << 12); break;
    case U_AUIPC: res = pc + sx((uint32_t)imm << 12); break;
    default: g_assert_not_reached();
    }
    if (in->rd) {
        r[in->rd] = res;
    }
}

static uint64_t interesting(GRand *g)
{
    static const uint64_t v[] = {
        0, 1, 2, 0xffffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
        0x80000000ull, 0x7fffffffull, 0xffffffffull, 0xffffffff80000000ull, 31, 32, 63, 64,
    };
    switch (g_rand_int_range(g, 0, 4)) {
    case 0: return v[g_rand_int_range(g, 0, G_N_ELEMENTS(v))];
    case 1: return (uint64_t)(int64_t)g_rand_int_range(g, -100, 100);
    default: return (uint64_t)g_rand_int(g) << 32 | g_rand_int(g);
    }
}

/* A random instruction whose operands satisfy the encoding's constraints. */
static Ins random_ins(GRand *g)
{
    Ins in = { .op = g_rand_int_range(g, 0, OP_COUNT) };
    in.rd = g_rand_int_range(g, 0, 32);
    in.rs1 = g_rand_int_range(g, 0, 32);
    in.rs2 = g_rand_int_range(g, 0, 32);
    switch (in.op) {
    case I_ADDI ... I_ANDI: case I_ADDIW:
        in.imm = g_rand_int_range(g, -2048, 2048);
        break;
    case I_SLLI: case I_SRLI: case I_SRAI: in.imm = g_rand_int_range(g, 0, 64); break;
    case I_SLLIW: case I_SRLIW: case I_SRAIW: in.imm = g_rand_int_range(g, 0, 32); break;
    case U_LUI: case U_AUIPC: in.imm = g_rand_int_range(g, 0, 1 << 20); break;
    case C_ADDI: case C_LI: case C_ADDIW: case C_SLLI: case C_LUI: case C_MV: case C_ADD:
        in.rd = g_rand_int_range(g, 1, 32);
        in.rs1 = in.rd;
        in.imm = g_rand_int_range(g, -32, 32);
        if (in.op == C_ADDIW || in.op == C_ADDI) {
            /* rd == rs1 (c.addi with imm 0 is a hint, still fine) */
        } else if (in.op == C_LI) {
            in.rs1 = 0;
        } else if (in.op == C_SLLI) {
            in.imm = g_rand_int_range(g, 1, 64);
        } else if (in.op == C_LUI) {
            do {
                in.rd = g_rand_int_range(g, 1, 32);
            } while (in.rd == 2);
            in.imm = g_rand_int_range(g, 1, 32) * (g_rand_boolean(g) ? 1 : -1);
            in.rs1 = 0;
        } else {
            in.rs2 = g_rand_int_range(g, 1, 32);
            if (in.op == C_MV) {
                in.rs1 = 0;
            }
        }
        if (in.op == C_LUI) {
            in.imm &= 0xfffff;          /* 20-bit field, sign from bit 5 */
            if (in.imm & 0x20) {
                in.imm |= 0xfffc0;
            }
        }
        break;
    case C_SRLI: case C_SRAI: case C_ANDI:
        in.rd = in.rs1 = g_rand_int_range(g, 8, 16);
        in.imm = in.op == C_ANDI ? g_rand_int_range(g, -32, 32) : g_rand_int_range(g, 1, 64);
        break;
    case C_SUB ... C_ADDW:
        in.rd = in.rs1 = g_rand_int_range(g, 8, 16);
        in.rs2 = g_rand_int_range(g, 8, 16);
        break;
    default:
        break;
    }
    return in;
}

/* Random straight-line programs against the reference evaluator, on the
 * interpreter or (jit) on the JIT. */
static void random_alu(bool jit)
{
    GRand *g = g_rand_new_with_seed(0x5eed1234);
    const unsigned programs = 300, len = 200;

    for (unsigned p = 0; p < programs; p++) {
        RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
        Ins prog[200];
        uint64_t ref[32], pc = RV_RAM_BASE, pcs[200];
        uint8_t code[800];
        unsigned off = 0;

        for (unsigned i = 0; i < len; i++) {
            uint32_t w;
            prog[i] = random_ins(g);
            pcs[i] = RV_RAM_BASE + off;
            unsigned n = encode(&prog[i], &w);
            memcpy(code + off, &w, n);
            off += n;
        }
        rv_harness_load(h, RV_RAM_BASE, code, off);
        ref[0] = 0;
        for (unsigned r = 1; r < 32; r++) {
            ref[r] = interesting(g);
            rv_cpu_set_xreg(h->cpu, r, ref[r]);
        }
        for (unsigned i = 0; i < len; i++) {
            reference(ref, &prog[i], pcs[i]);
        }
        uint64_t ran = 0;
        rv_cpu_run(h->cpu, len, &ran);
        g_assert_cmpuint(ran, ==, len);
        pc = rv_cpu_get_pc(h->cpu);
        g_assert_cmphex(pc, ==, RV_RAM_BASE + off);
        for (unsigned r = 0; r < 32; r++) {
            if (rv_cpu_get_xreg(h->cpu, r) != ref[r]) {
                g_test_message("program %u: x%u = 0x%" PRIx64 ", reference 0x%" PRIx64,
                               p, r, rv_cpu_get_xreg(h->cpu, r), ref[r]);
            }
            g_assert_cmphex(rv_cpu_get_xreg(h->cpu, r), ==, ref[r]);
        }
        rv_harness_free(h);
    }
    g_rand_free(g);
}

static void test_random_alu(void)
{
    random_alu(false);
}

static void test_random_alu_jit(void)
{
    random_alu(true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv/random/alu", test_random_alu);
    g_test_add_func("/riscv/random/alu-jit", test_random_alu_jit);
    return g_test_run();
}
