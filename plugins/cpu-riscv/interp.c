/*
 * interp.c - the reference interpreter: fetch through the decoded-
 * instruction cache, dispatch on RvInsn.op, integer execution.
 *
 * rv_cpu_run() works in chunks: between chunks it takes interrupts, checks
 * the exit request and the Sstc timer; inside a chunk only instructions
 * run.  Instructions that can change what is pending or enabled (CSR
 * writes, xRET, WFI, sfence.vma) end the chunk so the check comes next;
 * so do I/O accesses and interrupt lines changing (break_chunk), which
 * keeps interrupt latency at one instruction for a device the hart pokes.
 */
#include "rv-state.h"
#include "jit.h"

/* Instructions per chunk: the Sstc timer is looked at between chunks,
 * so this bounds its lateness (about 20 us interpreted, 10 us compiled). */
#define CHUNK_INSNS 4096
#define JIT_CHUNK_INSNS 16384

/* The decoded form of the instruction at cpu->pc, or NULL with an
 * exception recorded.  `scratch` holds uncacheable decodes. */
static inline const RvInsn *fetch(RvCpu *cpu, uint64_t pc, RvInsn *scratch)
{
    if (likely((pc & RV_PAGE_MASK) == cpu->fetch_vpage) &&
        likely((pc & (RV_PAGE_SIZE - 1)) <= RV_PAGE_SIZE - 4)) {
        uint32_t raw;
        memcpy(&raw, (const void *)(uintptr_t)(pc + cpu->fetch_host_minus_va), 4);
        if ((raw & 3) != 3) {
            raw &= 0xffff;
        }
        uint64_t pa = pc + cpu->fetch_pa_minus_va;
        RvDecoded *d = &cpu->dcache[(pa >> 1) & (RV_DCACHE_SIZE - 1)];
        if (likely(d->paddr == pa) && likely(d->insn.raw == raw)) {
            return &d->insn;
        }
        rv_decode(raw, cpu->ext, &d->insn);
        d->paddr = pa;
        if (unlikely(cpu->cfg.on_decode != NULL)) {
            cpu->cfg.on_decode(cpu->cfg.decode_opaque, pc, &d->insn);
        }
        return &d->insn;
    }
    cpu->pc = pc;
    if (!rv_fetch_slow(cpu, scratch)) {
        return NULL;
    }
    return scratch;
}

static inline int64_t div64(int64_t a, int64_t b)
{
    if (b == 0) {
        return -1;
    }
    if (a == INT64_MIN && b == -1) {
        return a;
    }
    return a / b;
}

static inline int64_t rem64(int64_t a, int64_t b)
{
    if (b == 0) {
        return a;
    }
    if (a == INT64_MIN && b == -1) {
        return 0;
    }
    return a % b;
}

static inline uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

static inline uint64_t mulhsu(int64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)a * (unsigned __int128)b) >> 64);
}

/*
 * Run up to `budget` steps (a retired instruction or a trap taken each
 * count one, so a trap storm still returns); returns the steps used.
 * Stops early after instructions that need the between-chunk checks.
 */
uint64_t rv_interp_exec_chunk(RvCpu *cpu, uint64_t budget)
{
    uint64_t *const x = cpu->x;
    uint64_t pc = cpu->pc;
    uint64_t n = 0, flushed = 0, traps = 0;
    const uint64_t align = (cpu->ext & RV_EXT_C) ? 1 : 3;
    RvInsn scratch;

    __atomic_store_n(&cpu->break_chunk, 0, __ATOMIC_RELAXED);
    while (n + traps < budget &&
           likely(!__atomic_load_n(&cpu->break_chunk, __ATOMIC_RELAXED))) {
        const RvInsn *in = fetch(cpu, pc, &scratch);
        uint64_t next, v, a;

        if (unlikely(!in)) {
            goto exception;
        }
        next = pc + in->len;
        switch (in->op) {
        case RV_OP_LUI: x[in->rd] = (int64_t)in->imm; break;
        case RV_OP_AUIPC: x[in->rd] = pc + (int64_t)in->imm; break;
        case RV_OP_JAL:
            a = pc + (int64_t)in->imm;
            if (unlikely(a & align & 2)) {
                rv_raise(cpu, RV_EXC_INSN_MISALIGNED, a);
                goto exception;
            }
            x[in->rd] = next;
            next = a;
            break;
        case RV_OP_JALR:
            a = (x[in->rs1] + (int64_t)in->imm) & ~1ull;
            if (unlikely(a & align & 2)) {
                rv_raise(cpu, RV_EXC_INSN_MISALIGNED, a);
                goto exception;
            }
            x[in->rd] = next;
            next = a;
            break;
#define BRANCH(cond)                                            \
            if (cond) {                                         \
                a = pc + (int64_t)in->imm;                      \
                if (unlikely(a & align & 2)) {                  \
                    rv_raise(cpu, RV_EXC_INSN_MISALIGNED, a);   \
                    goto exception;                             \
                }                                               \
                next = a;                                       \
            }                                                   \
            break
        case RV_OP_BEQ: BRANCH(x[in->rs1] == x[in->rs2]);
        case RV_OP_BNE: BRANCH(x[in->rs1] != x[in->rs2]);
        case RV_OP_BLT: BRANCH((int64_t)x[in->rs1] < (int64_t)x[in->rs2]);
        case RV_OP_BGE: BRANCH((int64_t)x[in->rs1] >= (int64_t)x[in->rs2]);
        case RV_OP_BLTU: BRANCH(x[in->rs1] < x[in->rs2]);
        case RV_OP_BGEU: BRANCH(x[in->rs1] >= x[in->rs2]);
#undef BRANCH
#define LOAD(size, conv)                                                    \
            if (!rv_load(cpu, x[in->rs1] + (int64_t)in->imm, size, &v)) {   \
                goto exception;                                             \
            }                                                               \
            x[in->rd] = conv;                                               \
            break
        case RV_OP_LB: LOAD(1, (uint64_t)(int64_t)(int8_t)v);
        case RV_OP_LH: LOAD(2, (uint64_t)(int64_t)(int16_t)v);
        case RV_OP_LW: LOAD(4, sext32(v));
        case RV_OP_LD: LOAD(8, v);
        case RV_OP_LBU: LOAD(1, v);
        case RV_OP_LHU: LOAD(2, v);
        case RV_OP_LWU: LOAD(4, v);
#undef LOAD
#define STORE(size)                                                         \
            if (!rv_store(cpu, x[in->rs1] + (int64_t)in->imm, size, x[in->rs2])) { \
                goto exception;                                             \
            }                                                               \
            break
        case RV_OP_SB: STORE(1);
        case RV_OP_SH: STORE(2);
        case RV_OP_SW: STORE(4);
        case RV_OP_SD: STORE(8);
#undef STORE
        case RV_OP_ADDI: x[in->rd] = x[in->rs1] + (int64_t)in->imm; break;
        case RV_OP_SLTI: x[in->rd] = (int64_t)x[in->rs1] < (int64_t)in->imm; break;
        case RV_OP_SLTIU: x[in->rd] = x[in->rs1] < (uint64_t)(int64_t)in->imm; break;
        case RV_OP_XORI: x[in->rd] = x[in->rs1] ^ (uint64_t)(int64_t)in->imm; break;
        case RV_OP_ORI: x[in->rd] = x[in->rs1] | (uint64_t)(int64_t)in->imm; break;
        case RV_OP_ANDI: x[in->rd] = x[in->rs1] & (uint64_t)(int64_t)in->imm; break;
        case RV_OP_SLLI: x[in->rd] = x[in->rs1] << in->imm; break;
        case RV_OP_SRLI: x[in->rd] = x[in->rs1] >> in->imm; break;
        case RV_OP_SRAI: x[in->rd] = (uint64_t)((int64_t)x[in->rs1] >> in->imm); break;
        case RV_OP_ADD: x[in->rd] = x[in->rs1] + x[in->rs2]; break;
        case RV_OP_SUB: x[in->rd] = x[in->rs1] - x[in->rs2]; break;
        case RV_OP_SLL: x[in->rd] = x[in->rs1] << (x[in->rs2] & 63); break;
        case RV_OP_SLT: x[in->rd] = (int64_t)x[in->rs1] < (int64_t)x[in->rs2]; break;
        case RV_OP_SLTU: x[in->rd] = x[in->rs1] < x[in->rs2]; break;
        case RV_OP_XOR: x[in->rd] = x[in->rs1] ^ x[in->rs2]; break;
        case RV_OP_SRL: x[in->rd] = x[in->rs1] >> (x[in->rs2] & 63); break;
        case RV_OP_SRA: x[in->rd] = (uint64_t)((int64_t)x[in->rs1] >> (x[in->rs2] & 63)); break;
        case RV_OP_OR: x[in->rd] = x[in->rs1] | x[in->rs2]; break;
        case RV_OP_AND: x[in->rd] = x[in->rs1] & x[in->rs2]; break;
        case RV_OP_ADDIW: x[in->rd] = sext32(x[in->rs1] + (int64_t)in->imm); break;
        case RV_OP_SLLIW: x[in->rd] = sext32((uint32_t)x[in->rs1] << in->imm); break;
        case RV_OP_SRLIW: x[in->rd] = sext32((uint32_t)x[in->rs1] >> in->imm); break;
        case RV_OP_SRAIW: x[in->rd] = (uint64_t)(int64_t)((int32_t)x[in->rs1] >> in->imm); break;
        case RV_OP_ADDW: x[in->rd] = sext32(x[in->rs1] + x[in->rs2]); break;
        case RV_OP_SUBW: x[in->rd] = sext32(x[in->rs1] - x[in->rs2]); break;
        case RV_OP_SLLW: x[in->rd] = sext32((uint32_t)x[in->rs1] << (x[in->rs2] & 31)); break;
        case RV_OP_SRLW: x[in->rd] = sext32((uint32_t)x[in->rs1] >> (x[in->rs2] & 31)); break;
        case RV_OP_SRAW:
            x[in->rd] = (uint64_t)(int64_t)((int32_t)x[in->rs1] >> (x[in->rs2] & 31));
            break;
        case RV_OP_MUL: x[in->rd] = x[in->rs1] * x[in->rs2]; break;
        case RV_OP_MULH:
            x[in->rd] = (uint64_t)(((__int128)(int64_t)x[in->rs1] *
                                    (__int128)(int64_t)x[in->rs2]) >> 64);
            break;
        case RV_OP_MULHSU: x[in->rd] = mulhsu((int64_t)x[in->rs1], x[in->rs2]); break;
        case RV_OP_MULHU:
            x[in->rd] = (uint64_t)(((unsigned __int128)x[in->rs1] * x[in->rs2]) >> 64);
            break;
        case RV_OP_DIV: x[in->rd] = (uint64_t)div64((int64_t)x[in->rs1], (int64_t)x[in->rs2]); break;
        case RV_OP_DIVU:
            x[in->rd] = x[in->rs2] ? x[in->rs1] / x[in->rs2] : UINT64_MAX;
            break;
        case RV_OP_REM: x[in->rd] = (uint64_t)rem64((int64_t)x[in->rs1], (int64_t)x[in->rs2]); break;
        case RV_OP_REMU:
            x[in->rd] = x[in->rs2] ? x[in->rs1] % x[in->rs2] : x[in->rs1];
            break;
        case RV_OP_MULW: x[in->rd] = sext32(x[in->rs1] * x[in->rs2]); break;
        case RV_OP_DIVW:
            x[in->rd] = sext32((uint64_t)div64((int32_t)x[in->rs1], (int32_t)x[in->rs2]));
            break;
        case RV_OP_DIVUW:
            x[in->rd] = (uint32_t)x[in->rs2]
                      ? sext32((uint32_t)x[in->rs1] / (uint32_t)x[in->rs2]) : UINT64_MAX;
            break;
        case RV_OP_REMW:
            x[in->rd] = sext32((uint64_t)rem64((int32_t)x[in->rs1], (int32_t)x[in->rs2]));
            break;
        case RV_OP_REMUW:
            x[in->rd] = (uint32_t)x[in->rs2]
                      ? sext32((uint32_t)x[in->rs1] % (uint32_t)x[in->rs2])
                      : sext32(x[in->rs1]);
            break;
        case RV_OP_FENCE:
            if (rv_fence_orders_store_load(in->imm)) {
                /* the one ordering an x86 host does not give for free,
                 * seen by harts on other threads (thread=multi) */
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
            }
            break;
        case RV_OP_FENCE_I:
            /* The decode cache checks raw bits on every hit, so there is
             * nothing stale to drop there; the JIT's blocks may be. */
            if (cpu->jit) {
                rv_jit_fence_i(cpu);
            }
            break;
        case RV_OP_ECALL:
            rv_raise(cpu, RV_EXC_ECALL_U + cpu->priv, 0);
            goto exception;
        case RV_OP_EBREAK:
            rv_raise(cpu, RV_EXC_BREAKPOINT, pc);
            goto exception;
        case RV_OP_MRET:
            if (cpu->priv != RV_PRIV_M) {
                goto illegal;
            }
            cpu->pc = pc;
            rv_exec_mret(cpu);
            n++;
            goto out_synced;
        case RV_OP_SRET:
            if (cpu->priv == RV_PRIV_U ||
                (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TSR))) {
                goto illegal;
            }
            cpu->pc = pc;
            rv_exec_sret(cpu);
            n++;
            goto out_synced;
        case RV_OP_WFI:
            if (cpu->priv == RV_PRIV_U ||
                (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TW))) {
                goto illegal;
            }
            cpu->in_wfi = true;
            pc = next;
            n++;
            goto out;
        case RV_OP_SFENCE_VMA:
            if (cpu->priv == RV_PRIV_U ||
                (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM))) {
                goto illegal;
            }
            if (in->rs1) {
                rv_tlb_flush_page(cpu, x[in->rs1]);
            } else {
                rv_tlb_flush_all(cpu);
            }
            pc = next;
            n++;
            goto out;
        case RV_OP_CSRRW: case RV_OP_CSRRS: case RV_OP_CSRRC:
        case RV_OP_CSRRWI: case RV_OP_CSRRSI: case RV_OP_CSRRCI:
            /* counters read by the CSR must include what retired so far */
            cpu->instret += n - flushed;
            flushed = n;
            cpu->pc = pc;
            if (!rv_exec_csr(cpu, in)) {
                goto exception;
            }
            x[0] = 0;
            pc = next;
            n++;
            goto out;
        case RV_OP_LR_W: case RV_OP_SC_W: case RV_OP_AMOSWAP_W: case RV_OP_AMOADD_W:
        case RV_OP_AMOXOR_W: case RV_OP_AMOAND_W: case RV_OP_AMOOR_W:
        case RV_OP_AMOMIN_W: case RV_OP_AMOMAX_W: case RV_OP_AMOMINU_W:
        case RV_OP_AMOMAXU_W:
        case RV_OP_LR_D: case RV_OP_SC_D: case RV_OP_AMOSWAP_D: case RV_OP_AMOADD_D:
        case RV_OP_AMOXOR_D: case RV_OP_AMOAND_D: case RV_OP_AMOOR_D:
        case RV_OP_AMOMIN_D: case RV_OP_AMOMAX_D: case RV_OP_AMOMINU_D:
        case RV_OP_AMOMAXU_D:
            if (!rv_exec_amo(cpu, in)) {
                goto exception;
            }
            break;
        case RV_OP_ILLEGAL:
            goto illegal;
        default:
            /* everything else is F/D */
            if (!rv_exec_fp(cpu, in)) {
                goto exception;
            }
            break;
        }
        x[0] = 0;
        pc = next;
        n++;
        continue;

    illegal:
        rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
    exception:
        x[0] = 0;
        cpu->pc = pc;
        rv_take_exception(cpu);
        pc = cpu->pc;
        traps++;
        /* a trap changes privilege and maybe enables interrupts */
        goto out;
    }
out:
    cpu->pc = pc;
out_synced:
    cpu->instret += n - flushed;
    return n + traps;
}

RvStop rv_cpu_run(RvCpu *cpu, uint64_t max_insns, uint64_t *executed)
{
    uint64_t done = 0;
    RvStop why = RV_STOP_BUDGET;

    while (done < max_insns) {
        if (unlikely(__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE))) {
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_RELAXED);
            why = RV_STOP_EXIT;
            break;
        }
        rv_check_interrupts(cpu);
        if (cpu->in_wfi) {
            if (!rv_cpu_has_work(cpu)) {
                why = RV_STOP_WFI;
                break;
            }
            cpu->in_wfi = false;
        }
        if (unlikely(cpu->debug_active)) {
            if (rv_debug_step(cpu, &done)) {
                why = RV_STOP_DEBUG;
                break;
            }
            continue;
        }
        uint64_t left = max_insns - done;
        uint64_t chunk = cpu->jit ? JIT_CHUNK_INSNS : CHUNK_INSNS;
        left = left < chunk ? left : chunk;
        done += cpu->jit ? rv_jit_exec_chunk(cpu, left) : rv_interp_exec_chunk(cpu, left);
    }
    if (executed) {
        *executed = done;
    }
    return why;
}
