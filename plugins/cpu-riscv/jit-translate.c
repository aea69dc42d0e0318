/*
 * jit-translate.c - a block of RISC-V code to x86-64 through the IR.
 *
 * The block's instructions are decoded, turned into IR (jit-front.c),
 * optimised (accel-tcg/jit/ir-opt.c) and lowered here: pure operations
 * by the backend (x86-lower.c, which also allocates host registers), and
 * what only this target knows by the code below: loads and stores that
 * probe the interpreter's soft TLB inline and fall back to C out of line,
 * calls into C for F/D and atomics, and the block's exits (chaining,
 * jump cache, the self-loop).  Every way out of the block stores the
 * guest registers the backend holds in host registers, and every helper
 * that can fault has the instruction's pc stored first on its slow path,
 * so exceptions are exact: the block returns with the number of
 * instructions that retired before the faulting one.
 *
 * Register use inside translated code: rbx = RvCpu *, r12 = the virtual
 * pc the block was entered at (set by whoever enters it: the dispatcher
 * through the trampoline, a chained jump or the jump cache; cpu->pc is
 * stored only on the way out to the dispatcher and before helpers that
 * may fail), r13 = steps left in the chunk (callee-saved, so helpers
 * keep them), rax/rcx/rdx/rsi/rdi scratch; rbp, r14, r15, r8-r11 are the
 * backend's to allocate.
 */
#include "jit-fp.h"
#include "jit-ir.h"
#include "x86-lower.h"

#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)

#define MAX_TB_INSNS 128
/* Conditional branches a block goes past (side exits); the one after
 * them ends it. */
#define MAX_SIDE_EXITS 8
/* Out-of-line stubs: at most two per instruction (FP accesses) */
#define MAX_STUBS (2 * MAX_TB_INSNS)
/* Generous upper bounds of one op's inline code and of one out-of-line
 * stub, used to make sure a block always fits. */
#define OP_MAX_BYTES 160
#define STUB_MAX_BYTES 256
#define EXIT_MAX_BYTES 192

#define X_OFF(r) ((int32_t)(offsetof(RvCpu, x) + 8 * (r)))
#define PC_OFF ((int32_t)offsetof(RvCpu, pc))
#define BREAK_OFF ((int32_t)offsetof(RvCpu, break_chunk))
#define JC_OFF ((int32_t)offsetof(RvCpu, jcache))
#define VAL_OFF ((int32_t)offsetof(RvCpu, jit_val))
#define SPILL_OFF ((int32_t)offsetof(RvCpu, jit_spill))
#define F_OFF(r) ((int32_t)(offsetof(RvCpu, f) + 8 * (r)))
#define MSTATUS_OFF ((int32_t)offsetof(RvCpu, mstatus))
#define FFLAGS_OFF ((int32_t)offsetof(RvCpu, fflags))
#define FRM_OFF ((int32_t)offsetof(RvCpu, frm))

_Static_assert(sizeof(RvJumpCacheEntry) == 32, "the jump cache probe scales by 32");
#define TLB_OFF(p) ((int32_t)(offsetof(RvCpu, tlb) + (p) * sizeof(RvTlbEntry[RV_TLB_SIZE])))
#define TAG_OFF(acc) ((int32_t)(offsetof(RvTlbEntry, tag) + 8 * (acc)))
#define HOST_OFF ((int32_t)offsetof(RvTlbEntry, host_minus_va))

_Static_assert(sizeof(RvTlbEntry) == 40, "the inline TLB probe scales by 5 * 8");
_Static_assert(sizeof(RvInsn) == 16, "helpers take an RvInsn as two words");
_Static_assert(sizeof(((RvCpu *)0)->jit_spill) == 8 * TCG_X86_SPILLS,
               "the backend's spill slots");

static const int32_t global_offsets[32] = {
#define X8(n) X_OFF(n), X_OFF(n + 1), X_OFF(n + 2), X_OFF(n + 3), \
              X_OFF(n + 4), X_OFF(n + 5), X_OFF(n + 6), X_OFF(n + 7)
    X8(0), X8(8), X8(16), X8(24),
#undef X8
};

/* STUB_INSN: the whole instruction done by its C helper, then out of
 * the block (the slow path of what is inline only in the common case) */
/* STUB_EXIT: a side exit taken (EXIT_IF); STUB_FP: the C helper for an
 * F/D instruction whose inline path gave up, then back */
enum { STUB_LOAD, STUB_STORE, STUB_RESULT, STUB_INSN, STUB_EXIT, STUB_FP };

/* Out-of-line code emitted after the block's body. */
typedef struct Stub {
    int type;
    uint8_t *jcc_at;            /* rel32 of the jump that leads here */
    uint8_t *resume;            /* where the fast path continues */
    int64_t off;                /* the instruction's pc - block pc */
    unsigned idx;               /* its index in the block */
    unsigned len;               /* its length */
    uint64_t dirty;             /* pinned globals to write back first */
    unsigned mem;               /* LD/ST: size | TCG_MEM_SIGN */
    TcgTemp d;                  /* LD: the destination */
    int d_reg;                  /* its host register then, or -1 */
    TcgArg val;                 /* ST: the value */
    int val_reg;                /* its host register then, or -1 */
    const void *fn;             /* STUB_INSN: the instruction's helper */
    int xmm7;                   /* STUB_FP: what xmm7 holds after it */
    uint8_t *slots[RV_JIT_FP_MAX_SLOTS];    /* STUB_FP: the jumps here */
    unsigned n_slots;
} Stub;

typedef struct Emit {
    TcgX86 x;                   /* the backend, and the code buffer x.b */
    TcgBlock blk;
    RvCpu *cpu;
    RvInsn ins[MAX_TB_INSNS];
    uint64_t base_pc;           /* virtual pc translated at (r12 at run time) */
    unsigned icount;            /* instructions in the block */
    bool chain;                 /* emit chainable exits */
    unsigned dpriv;             /* privilege of data accesses */
    uint32_t flags;             /* the block's priv | data priv << 2 */
    const uint8_t *exit;
    const RvJit *jit;           /* for its shared code (thunks) */
    Stub stubs[MAX_STUBS];
    unsigned n_stubs;
    /* the instruction being lowered */
    int64_t cur_off;
    unsigned cur_idx, cur_len;
    /* what xmm7 holds (RvJitFpEnv.xmm7): -1 wherever C may have run */
    int fp_xmm7;
    /* jumps within the block (mark_skips) */
    int skip_to[MAX_TB_INSNS];
    int label_at[MAX_TB_INSNS];
    unsigned skip_over[MAX_TB_INSNS];   /* instructions a skip jumps over */
    struct {
        uint8_t *jcc[MAX_SIDE_EXITS + 1];
        unsigned skipped[MAX_SIDE_EXITS + 1];   /* instructions jumped over */
        unsigned n;
        uint64_t dirty;         /* dirty on some path that jumps here */
        uint8_t *addr;          /* where the label is */
    } label[TCG_MAX_LABELS];
    /* a block whose last instruction jumps back to its first loops inside
     * itself (see loop_back) */
    bool self_loop;
    uint8_t *body;              /* the code after the entry's loads */
} Emit;

#define B(e) (&(e)->x.b)

/*
 * host = the guest address block pc + off.  Blocks are keyed by physical
 * address and may run at any virtual alias of their page (the kernel's
 * identity map and its high mapping, a shared library in two processes),
 * so no virtual address is baked into code: r12 holds the pc the block
 * was entered at.
 */
static void pc_value(Emit *e, int host, int64_t off)
{
    TcgArg a = tcg_pcrel(off);
    tcg_x86_load_arg(&e->x, host, &a);
}

static void set_pc(Emit *e, int64_t off)
{
    pc_value(e, X86_RAX, off);
    x86_store64(B(e), x86_mem(X86_RBX, PC_OFF), X86_RAX);
}

/*
 * Instruction accounting: r13 holds the steps left in the chunk.  A block
 * takes its whole icount at entry; an exit before its end gives back the
 * instructions that did not retire (`unretired`).
 */
static void give_back(Emit *e, unsigned unretired)
{
    if (unretired) {
        x86_alu_ri(B(e), true, X86_ADD, X86_R13, (int32_t)unretired);
    }
}

/* Jump to the exit trampoline with `kind` and no chaining slot. */
static void leave(Emit *e, unsigned kind)
{
    x86_mov_imm(B(e), X86_RDX, 0);
    x86_mov_imm(B(e), X86_RAX, kind);
    x86_jmp_to(B(e), e->exit);
}

/*
 * Go on to the block for the pc in rcx through the jump cache: an entry
 * for this pc made in the same mode (the block's own flags: the mode
 * cannot change inside a chain) holds the code to jump to; a miss stores
 * the pc and returns to the dispatcher, which fills the entry.  The
 * target block's entry checks do the rest (break_chunk, steps left, r12).
 */
static void jump_cached(Emit *e)
{
    X86Buf *b = B(e);

    x86_mov_rr(b, X86_RAX, X86_RCX);
    x86_mov_rr(b, X86_RDX, X86_RCX);
    x86_shift_ri(b, true, X86_SHR, X86_RAX, 1);
    x86_shift_ri(b, true, X86_SHR, X86_RDX, RV_JC_BITS + 1);
    x86_alu_rr(b, false, X86_XOR, X86_RAX, X86_RDX);
    x86_alu_ri(b, false, X86_AND, X86_RAX, RV_JC_SIZE - 1);
    x86_shift_ri(b, false, X86_SHL, X86_RAX, 5);
    x86_alu_rm(b, X86_CMP, X86_RCX, x86_mem_idx(X86_RBX, X86_RAX, 1, JC_OFF));
    uint8_t *miss1 = x86_jcc32(b, X86_CC_NE);
    x86_cmp_mem32_imm8(b, x86_mem_idx(X86_RBX, X86_RAX, 1,
                                      JC_OFF + (int32_t)offsetof(RvJumpCacheEntry, flags)),
                       (int8_t)e->flags);
    uint8_t *miss2 = x86_jcc32(b, X86_CC_NE);
    x86_mov_rr(b, X86_R12, X86_RCX);
    x86_jmp_mem(b, x86_mem_idx(X86_RBX, X86_RAX, 1,
                               JC_OFF + (int32_t)offsetof(RvJumpCacheEntry, code)));
    x86_patch_rel32(miss1, b->p);
    x86_patch_rel32(miss2, b->p);
    x86_store64(b, x86_mem(X86_RBX, PC_OFF), X86_RCX);
    leave(e, RV_JIT_EXIT_NEXT);
}

/*
 * Leave the block for block pc + off (the guest registers already
 * stored).  When the target is in the block's own page (so in the same
 * physical page at whatever alias the block runs), the exit is a jump the
 * dispatcher may later point straight at the next block (chaining);
 * until then it goes on to code that returns the jump's address as the
 * slot to patch.  Another page goes through the jump cache.
 */
static void exit_to(Emit *e, int64_t off)
{
    uint64_t pc = e->base_pc + (uint64_t)off;

    if (e->chain && (pc & RV_PAGE_MASK) != (e->base_pc & RV_PAGE_MASK)) {
        pc_value(e, X86_RCX, off);
        jump_cached(e);
        return;
    }
    if (e->chain) {
        x86_lea(B(e), X86_R12, x86_mem(X86_R12, (int32_t)off));
        uint8_t *slot = x86_jmp32(B(e));
        x86_patch_rel32(slot, B(e)->p);
        x86_store64(B(e), x86_mem(X86_RBX, PC_OFF), X86_R12);
        x86_lea_rip(B(e), X86_RDX, slot);
        x86_mov_imm(B(e), X86_RAX, RV_JIT_EXIT_NEXT);
        x86_jmp_to(B(e), e->exit);
        return;
    }
    set_pc(e, off);
    leave(e, RV_JIT_EXIT_NEXT);
}

/* ---- helpers called from translated code ---- */

static uint32_t helper_result(RvCpu *cpu, bool ok)
{
    cpu->x[0] = 0;
    if (!ok) {
        return RV_JIT_H_EXC;
    }
    return __atomic_load_n(&cpu->break_chunk, __ATOMIC_RELAXED) ? RV_JIT_H_STOP
                                                                 : RV_JIT_H_OK;
}

/* The slow path of a load: the value goes to cpu->jit_val (translated
 * code puts it in rd).  kind: size in the low 4 bits, 16 = sign-extend. */
static uint32_t helper_load(RvCpu *cpu, uint64_t va, uint32_t kind)
{
    unsigned size = kind & 15;
    uint64_t v;

    if (!rv_load_slow(cpu, va, size, &v)) {
        return helper_result(cpu, false);
    }
    if (kind & 16) {
        unsigned sh = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    cpu->jit_val = v;
    return helper_result(cpu, true);
}

static uint32_t helper_store(RvCpu *cpu, uint64_t va, uint64_t val, uint32_t size)
{
    return helper_result(cpu, rv_store_slow(cpu, va, size, val));
}

static RvInsn insn_of(uint64_t lo, uint64_t hi)
{
    RvInsn in;
    memcpy(&in, &lo, 8);
    memcpy((char *)&in + 8, &hi, 8);
    return in;
}

static uint32_t helper_fp(RvCpu *cpu, uint64_t lo, uint64_t hi)
{
    RvInsn in = insn_of(lo, hi);
    return helper_result(cpu, rv_exec_fp(cpu, &in));
}

static uint32_t helper_csr(RvCpu *cpu, uint64_t lo, uint64_t hi)
{
    RvInsn in = insn_of(lo, hi);
    return helper_result(cpu, rv_exec_csr(cpu, &in));
}

/* A CSR instruction in the middle of a block: done, but the block must
 * end after it (STOP) if an interrupt is now deliverable (the write
 * enabled one) or loads and stores changed privilege (MPRV; the block's
 * inline TLB probes use the privilege it was made for). */
static uint32_t helper_csr_in_block(RvCpu *cpu, uint64_t lo, uint64_t hi)
{
    RvInsn in = insn_of(lo, hi);
    unsigned dpriv = rv_data_priv(cpu);

    if (!rv_exec_csr(cpu, &in)) {
        return helper_result(cpu, false);
    }
    if (rv_data_priv(cpu) != dpriv || rv_cpu_has_work(cpu)) {
        cpu->x[0] = 0;
        return RV_JIT_H_STOP;
    }
    return helper_result(cpu, true);
}

static uint32_t helper_amo(RvCpu *cpu, uint64_t lo, uint64_t hi)
{
    RvInsn in = insn_of(lo, hi);
    return helper_result(cpu, rv_exec_amo(cpu, &in));
}

/* ---- code shared by all blocks ---- */

/*
 * The slow paths of loads and stores call C through a thunk that keeps
 * r8-r11 (guest registers may live there), so the call needs no write
 * back and no reload when it succeeds: the helper reads no guest register
 * (its arguments come in registers) and hands a loaded value back in
 * cpu->jit_val.  On entry rsp is 8 off a 16-byte boundary (the call);
 * four pushes and 8 more bytes realign it for C.
 */
static const uint8_t *emit_call_thunk(X86Buf *b, const void *fn)
{
    const uint8_t *start = b->p;
    static const int saved[] = { X86_R8, X86_R9, X86_R10, X86_R11 };

    for (unsigned i = 0; i < 4; i++) {
        x86_push(b, saved[i]);
    }
    x86_alu_ri(b, true, X86_SUB, X86_RSP, 8);
    x86_call_abs(b, fn);
    x86_alu_ri(b, true, X86_ADD, X86_RSP, 8);
    for (int i = 3; i >= 0; i--) {
        x86_pop(b, saved[i]);
    }
    x86_ret(b);
    return start;
}

/*
 * Where a failed helper call leaves the block.  eax: RV_JIT_H_EXC or
 * RV_JIT_H_STOP; dl: the instructions that did not retire if it is an
 * exception; dh: the instruction's length; cpu->pc: the instruction's pc
 * and the guest registers all stored.  An exception leaves cpu->pc as it
 * is; a stop (the instruction completed) moves it past the instruction.
 */
static const uint8_t *emit_fail_exit(X86Buf *b, const uint8_t *exit)
{
    const uint8_t *start = b->p;

    x86_mov_rr(b, X86_RCX, X86_RDX);
    x86_shift_ri(b, false, X86_SHR, X86_RCX, 8);
    x86_alu_ri(b, false, X86_AND, X86_RDX, 0xff);
    x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_STOP);
    uint8_t *exc = x86_jcc32(b, X86_CC_NE);
    x86_load64(b, X86_RAX, x86_mem(X86_RBX, PC_OFF));
    x86_alu_rr(b, true, X86_ADD, X86_RAX, X86_RCX);
    x86_store64(b, x86_mem(X86_RBX, PC_OFF), X86_RAX);
    x86_alu_ri(b, false, X86_SUB, X86_RDX, 1);
    x86_alu_rr(b, true, X86_ADD, X86_R13, X86_RDX);
    x86_mov_imm(b, X86_RAX, RV_JIT_EXIT_STOP);
    x86_mov_imm(b, X86_RDX, 0);
    x86_jmp_to(b, exit);
    x86_patch_rel32(exc, b->p);
    x86_alu_rr(b, true, X86_ADD, X86_R13, X86_RDX);
    x86_mov_imm(b, X86_RAX, RV_JIT_EXIT_EXC);
    x86_mov_imm(b, X86_RDX, 0);
    x86_jmp_to(b, exit);
    return start;
}

/* Make the shared code at the front of a freshly emptied cache. */
static void ensure_thunks(RvJit *j)
{
    TcgCodeCache *c = &j->cache;

    if (j->have_thunks && j->thunks_epoch == c->flushes) {
        return;
    }
    X86Buf b = { c->ptr, c->ptr, c->base + c->size };
    j->thunk_load = emit_call_thunk(&b, (const void *)helper_load);
    j->thunk_store = emit_call_thunk(&b, (const void *)helper_store);
    j->fail_exit = emit_fail_exit(&b, c->exit);
    j->cold_entry = b.p;
    x86_store64(&b, x86_mem(X86_RBX, PC_OFF), X86_R12);
    x86_mov_imm(&b, X86_RDX, 0);
    x86_mov_imm(&b, X86_RAX, RV_JIT_EXIT_NEXT);
    x86_jmp_to(&b, c->exit);
    c->ptr = (uint8_t *)(((uintptr_t)b.p + 15) & ~(uintptr_t)15);
    j->thunks_epoch = c->flushes;
    j->have_thunks = true;
}

/* ---- lowering this target's operations ---- */

static Stub *add_stub(Emit *e, int type, uint8_t *jcc_at, uint64_t dirty)
{
    Stub *s = &e->stubs[e->n_stubs++];
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->jcc_at = jcc_at;
    s->resume = B(e)->p;
    s->off = e->cur_off;
    s->idx = e->cur_idx;
    s->len = e->cur_len;
    s->dirty = dirty;
    s->d = TCG_NO_TEMP;
    s->d_reg = s->val_reg = -1;
    return s;
}

/*
 * rsi = a + imm (the virtual address); rax = TLB index * 5; compare the
 * page of the access's last byte with the tag, so that an access that
 * crosses into the next page misses (unaligned accesses inside a RAM page
 * are fine on x86, and give what the interpreter's byte-wise emulation
 * gives).  I/O tags have bit 0 set and never match.  Leaves rcx = the
 * host-minus-va of the entry, and returns the rel32 of the miss jump.
 */
static uint8_t *tlb_probe(Emit *e, const TcgOp *op, unsigned size, RvAccess acc)
{
    X86Buf *b = B(e);

    if (op->a.kind == TCG_ARG_CONST) {
        x86_mov_imm(b, X86_RSI, (uint64_t)(op->a.c + op->imm));
    } else {
        int base = tcg_x86_src(&e->x, &op->a, X86_RSI);
        if (op->imm || base != X86_RSI) {
            x86_lea(b, X86_RSI, x86_mem(base, (int32_t)op->imm));
        }
    }
    x86_mov_rr(b, X86_RAX, X86_RSI);
    x86_shift_ri(b, true, X86_SHR, X86_RAX, RV_PAGE_BITS);
    x86_alu_ri(b, false, X86_AND, X86_RAX, RV_TLB_SIZE - 1);
    x86_lea(b, X86_RAX, x86_mem_idx(X86_RAX, X86_RAX, 4, 0));
    x86_lea(b, X86_RCX, x86_mem(X86_RSI, (int32_t)size - 1));
    x86_alu_ri(b, true, X86_AND, X86_RCX, (int32_t)RV_PAGE_MASK);
    x86_alu_rm(b, X86_CMP, X86_RCX,
               x86_mem_idx(X86_RBX, X86_RAX, 8, TLB_OFF(e->dpriv) + TAG_OFF(acc)));
    uint8_t *miss = x86_jcc32(b, X86_CC_NE);
    x86_load64(b, X86_RCX, x86_mem_idx(X86_RBX, X86_RAX, 8, TLB_OFF(e->dpriv) + HOST_OFF));
    return miss;
}

static void lower_load(Emit *e, const TcgOp *op)
{
    uint8_t *miss = tlb_probe(e, op, op->aux & TCG_MEM_SIZE, RV_ACC_READ);
    /* the slow path writes back what is dirty before the load: d's host
     * register must not reach memory if the load faults */
    uint64_t dirty = e->x.dirty;
    unsigned size = op->aux & TCG_MEM_SIZE;
    int d = tcg_x86_dst(&e->x, op->d);
    x86_load(B(e), size, op->aux & TCG_MEM_SIGN, d,
             x86_mem_idx(X86_RSI, X86_RCX, 1, 0));
    tcg_x86_dst_done(&e->x, op->d, d);
    Stub *s = add_stub(e, STUB_LOAD, miss, dirty);
    s->mem = op->aux;
    s->d = op->d;
    s->d_reg = op->d == TCG_NO_TEMP ? -1 : tcg_x86_temp_reg(&e->x, op->d);
}

static void lower_store(Emit *e, const TcgOp *op)
{
    uint8_t *miss = tlb_probe(e, op, op->aux & TCG_MEM_SIZE, RV_ACC_WRITE);
    int v = tcg_x86_src(&e->x, &op->b, X86_RDX);
    x86_store(B(e), op->aux & TCG_MEM_SIZE, x86_mem_idx(X86_RSI, X86_RCX, 1, 0), v);
    Stub *s = add_stub(e, STUB_STORE, miss, e->x.dirty);
    s->mem = op->aux;
    s->val = op->b;
    s->val_reg = op->b.kind == TCG_ARG_TEMP ? tcg_x86_temp_reg(&e->x, op->b.t) : -1;
}

/*
 * FLW/FLD/FSW/FSD inline when mstatus.FS allows them without a change (a
 * load needs FS = Dirty, which it would set; a store any FS but Off) and
 * the TLB hits; anything else is the whole instruction in C (STUB_INSN),
 * which raises the illegal instruction or the fault, or sets FS.
 */
static void lower_fp_access(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);
    const RvInsn *in = &e->ins[op->payload];
    bool load = op->aux == RV_T_FLOAD;
    unsigned size = (unsigned)op->imm2;

    x86_load(b, 4, false, X86_RAX, x86_mem(X86_RBX, MSTATUS_OFF));
    x86_alu_ri(b, false, X86_AND, X86_RAX, (int32_t)MSTATUS_FS);
    if (load) {
        x86_alu_ri(b, false, X86_CMP, X86_RAX, (int32_t)MSTATUS_FS);
    }
    uint8_t *fs = x86_jcc32(b, load ? X86_CC_NE : X86_CC_E);
    Stub *s = add_stub(e, STUB_INSN, fs, e->x.dirty);
    s->val.c = op->payload;
    s->fn = (const void *)helper_fp;
    uint8_t *miss = tlb_probe(e, op, size, load ? RV_ACC_READ : RV_ACC_WRITE);
    s = add_stub(e, STUB_INSN, miss, e->x.dirty);
    s->val.c = op->payload;
    s->fn = (const void *)helper_fp;
    if (load) {
        x86_load(b, size, false, X86_RAX, x86_mem_idx(X86_RSI, X86_RCX, 1, 0));
        if (size == 4) {
            x86_mov_imm(b, X86_RDX, 0xffffffff00000000ull);     /* NaN-boxed */
            x86_alu_rr(b, true, X86_OR, X86_RAX, X86_RDX);
        }
        x86_store64(b, x86_mem(X86_RBX, F_OFF(in->rd)), X86_RAX);
    } else {
        x86_load64(b, X86_RDX, x86_mem(X86_RBX, F_OFF(in->rs2)));
        x86_store(b, size, x86_mem_idx(X86_RSI, X86_RCX, 1, 0), X86_RDX);
    }
}

/*
 * csrrw/csrrs/csrrc (and immediate forms) on fflags, frm or fcsr: plain
 * fields of RvCpu when mstatus.FS is not Off (else the whole instruction
 * in C, which raises illegal instruction).  Code like a libm sqrt saves
 * and restores fflags around a compare, once per call.
 */
static void lower_fcsr(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);
    const RvInsn *in = &e->ins[op->payload];
    unsigned csr = (unsigned)in->imm & 0xfff;
    unsigned kind = (in->op - RV_OP_CSRRW) % 3;     /* write, set, clear */
    bool writes = kind == 0 || in->rs1 != 0;
    X86Mem fflags = x86_mem(X86_RBX, FFLAGS_OFF), frm = x86_mem(X86_RBX, FRM_OFF);

    x86_load(b, 4, false, X86_RAX, x86_mem(X86_RBX, MSTATUS_OFF));
    x86_alu_ri(b, false, X86_AND, X86_RAX, (int32_t)MSTATUS_FS);
    Stub *s = add_stub(e, STUB_INSN, x86_jcc32(b, X86_CC_E), e->x.dirty);
    s->val.c = op->payload;
    s->fn = (const void *)helper_csr;
    /* rdx = the old value */
    if (csr == 1) {
        x86_load(b, 4, false, X86_RDX, fflags);
    } else if (csr == 2) {
        x86_load(b, 4, false, X86_RDX, frm);
    } else {
        x86_load(b, 4, false, X86_RDX, frm);
        x86_shift_ri(b, false, X86_SHL, X86_RDX, 5);
        x86_load(b, 4, false, X86_RAX, fflags);
        x86_alu_rr(b, false, X86_OR, X86_RDX, X86_RAX);
    }
    if (writes) {
        tcg_x86_load_arg(&e->x, X86_RCX, &op->a);
        if (kind == 1) {
            x86_alu_rr(b, true, X86_OR, X86_RCX, X86_RDX);
        } else if (kind == 2) {
            x86_alu_ri(b, true, X86_XOR, X86_RCX, -1);
            x86_alu_rr(b, true, X86_AND, X86_RCX, X86_RDX);
        }
        if (csr != 2) {
            x86_mov_rr(b, X86_RAX, X86_RCX);
            x86_alu_ri(b, false, X86_AND, X86_RAX, 0x1f);
            x86_store(b, 4, fflags, X86_RAX);
        }
        if (csr != 1) {
            if (csr == 3) {
                x86_shift_ri(b, false, X86_SHR, X86_RCX, 5);
            }
            x86_alu_ri(b, false, X86_AND, X86_RCX, 7);
            x86_store(b, 4, frm, X86_RCX);
        }
        x86_alu_mem32_imm(b, X86_OR, x86_mem(X86_RBX, MSTATUS_OFF), (int32_t)MSTATUS_FS);
    }
    if (op->d != TCG_NO_TEMP) {
        tcg_x86_dst(&e->x, op->d);
        tcg_x86_dst_done(&e->x, op->d, X86_RDX);
    }
}

/* jit-fp.c reaches the integer registers of its op through these. */
typedef struct FpCtx {
    Emit *e;
    const TcgOp *op;
} FpCtx;

static void fp_get_x(void *opaque, X86Buf *b, int host, unsigned r)
{
    FpCtx *c = opaque;
    tcg_x86_load_arg(&c->e->x, host, &c->op->a);
}

static void fp_set_x(void *opaque, X86Buf *b, unsigned r, int host)
{
    FpCtx *c = opaque;
    tcg_x86_dst_done(&c->e->x, c->op->d, host);
}

static void lower_call(Emit *e, const TcgOp *op);

/*
 * An F/D instruction inline (jit-fp.c), with the C helper out of line for
 * whatever the fast path leaves (STUB_FP); without a fast path, a call.
 */
static void lower_fp(Emit *e, const TcgOp *op)
{
    FpCtx ctx = { e, op };
    RvJitFpEnv env = { &ctx, fp_get_x, fp_set_x, &e->fp_xmm7 };
    uint8_t *slots[RV_JIT_FP_MAX_SLOTS];
    unsigned n = 0;
    uint64_t dirty = e->x.dirty;

    if (op->d != TCG_NO_TEMP) {
        tcg_x86_dst(&e->x, op->d);
    }
    if (!rv_jit_fp_emit(B(e), &e->ins[op->payload], &env, slots, &n)) {
        lower_call(e, op);
        e->fp_xmm7 = -1;
        return;
    }
    Stub *s = add_stub(e, STUB_FP, NULL, dirty);
    s->xmm7 = e->fp_xmm7;
    memcpy(s->slots, slots, n * sizeof(slots[0]));
    s->n_slots = n;
    s->val.c = op->payload;
    s->d = op->d;
    s->d_reg = op->d == TCG_NO_TEMP ? -1 : tcg_x86_temp_reg(&e->x, op->d);
}

/* cpu->pc = block pc + off, then fn(cpu, instruction idx of the block)
 * (the helper may raise an exception at that pc). */
static void call_insn_helper(Emit *e, unsigned idx, int64_t off, const void *fn)
{
    X86Buf *b = B(e);
    uint64_t w[2];
    memcpy(w, &e->ins[idx], 16);
    set_pc(e, off);
    x86_mov_rr(b, X86_RDI, X86_RBX);
    x86_mov_imm(b, X86_RSI, w[0]);
    x86_mov_imm(b, X86_RDX, w[1]);
    x86_call_abs(b, fn);
}

/* Call helper(cpu, insn) for an instruction done in C (FP, atomics). */
static void lower_call(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);
    tcg_x86_sync(&e->x);
    call_insn_helper(e, op->payload, e->cur_off,
                     op->aux == RV_T_AMO ? (const void *)helper_amo
                     : op->aux == RV_T_CSR ? (const void *)helper_csr_in_block
                                           : (const void *)helper_fp);
    x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
    uint8_t *bad = x86_jcc32(b, X86_CC_NE);
    add_stub(e, STUB_RESULT, bad, 0);
    tcg_x86_reload(&e->x);
}

/*
 * The jump back to the start of a self-looping block: the entry's checks
 * (break_chunk, steps left) done in place, then straight to the body with
 * the guest registers still in host registers and r12 unchanged.  The
 * backend counts every pinned register the block writes as dirty from
 * its start (tcg_x86_begin's self_loop), so whatever an earlier round
 * left unwritten is stored at the next way out.
 */
static void loop_back(Emit *e)
{
    X86Buf *b = B(e);

    x86_cmp_mem32_imm8(b, x86_mem(X86_RBX, BREAK_OFF), 0);
    uint8_t *out = x86_jcc32(b, X86_CC_NE);
    x86_alu_ri32(b, X86_SUB, X86_R13, (int32_t)e->icount);
    uint8_t *undo = x86_jcc32(b, X86_CC_B);
    x86_jmp_to(b, e->body);
    x86_patch_rel32(undo, b->p);
    give_back(e, e->icount);
    x86_patch_rel32(out, b->p);
    tcg_x86_write_back(&e->x, e->x.dirty);
    set_pc(e, 0);
    leave(e, RV_JIT_EXIT_NEXT);
}

static void lower_goto(Emit *e, int64_t off)
{
    if (e->self_loop && off == 0) {
        loop_back(e);
        return;
    }
    tcg_x86_write_back(&e->x, e->x.dirty);
    exit_to(e, off);
}

static void lower_goto_ptr(Emit *e, const TcgOp *op)
{
    tcg_x86_load_arg(&e->x, X86_RCX, &op->a);
    tcg_x86_write_back(&e->x, e->x.dirty);
    if (e->chain) {
        jump_cached(e);
    } else {
        x86_store64(B(e), x86_mem(X86_RBX, PC_OFF), X86_RCX);
        leave(e, RV_JIT_EXIT_NEXT);
    }
}

static void lower_brcond(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);
    int cc = tcg_x86_cc(op->cond);

    /* write-back stores leave the flags alone, so compare first */
    tcg_x86_cmp(&e->x, &op->a, &op->b);
    if (e->self_loop && op->imm == 0) {
        uint8_t *not_taken = x86_jcc32(b, cc ^ 1);
        loop_back(e);
        x86_patch_rel32(not_taken, b->p);
        lower_goto(e, op->imm2);
        return;
    }
    uint8_t *taken = x86_jcc32(b, cc);
    lower_goto(e, op->imm2);
    x86_patch_rel32(taken, b->p);
    lower_goto(e, op->imm);
}

/* A side exit: compare inline, leave out of line. */
static void lower_exit_if(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);

    tcg_x86_cmp(&e->x, &op->a, &op->b);
    uint8_t *taken = x86_jcc32(b, tcg_x86_cc(op->cond));
    Stub *s = add_stub(e, STUB_EXIT, taken, e->x.dirty);
    s->val.c = op->imm;
}

/* A jump forward within the block: the paths meet at the LABEL, where
 * a pinned register is dirty if it is on either (storing one that is
 * not dirty on the path taken stores the value it already has). */
static void lower_skip_if(Emit *e, const TcgOp *op)
{
    X86Buf *b = B(e);

    tcg_x86_cmp(&e->x, &op->a, &op->b);
    unsigned id = (unsigned)op->imm;
    unsigned k = e->label[id].n++;
    g_assert(k <= MAX_SIDE_EXITS);
    e->label[id].jcc[k] = x86_jcc32(b, tcg_x86_cc(op->cond));
    e->label[id].skipped[k] = e->skip_over[op->insn];
    e->label[id].dirty |= e->x.dirty;
}

static void lower_label(Emit *e, const TcgOp *op)
{
    unsigned id = (unsigned)op->imm;
    e->label[id].addr = B(e)->p;
    e->x.dirty |= e->label[id].dirty;
}

/* Point the jumps at their labels, through a stub that gives back the
 * steps of the instructions jumped over (the block took them all at
 * entry, and retired counts must be exact: instret). */
static void emit_skip_stubs(Emit *e)
{
    for (unsigned id = 0; id < TCG_MAX_LABELS; id++) {
        for (unsigned k = 0; k < e->label[id].n; k++) {
            if (e->label[id].skipped[k] == 0) {
                x86_patch_rel32(e->label[id].jcc[k], e->label[id].addr);
                continue;
            }
            x86_patch_rel32(e->label[id].jcc[k], B(e)->p);
            give_back(e, e->label[id].skipped[k]);
            x86_jmp_to(B(e), e->label[id].addr);
        }
    }
}

/* The value a store stub passes to the helper, in rdx. */
static void stub_value(Emit *e, const Stub *s)
{
    if (s->val_reg >= 0) {
        x86_mov_rr(B(e), X86_RDX, s->val_reg);
    } else if (s->val.kind == TCG_ARG_TEMP) {
        x86_load64(B(e), X86_RDX, tcg_x86_temp_mem(&e->x, s->val.t));
    } else {
        tcg_x86_load_arg(&e->x, X86_RDX, &s->val);
    }
}

/*
 * Emit the out-of-line code of `s`.  Load and store misses call their
 * helper through a thunk (see emit_call_thunk) and go back to the fast
 * path; any failure stores the dirty registers and the pc and leaves
 * through the shared fail_exit.
 */
static void emit_stub(Emit *e, const Stub *s)
{
    X86Buf *b = B(e);
    uint8_t *failed = NULL;

    if (s->type == STUB_FP) {
        /* the whole instruction in C, registers in memory for it; then
         * the integer result (if any) back into its host register */
        for (unsigned i = 0; i < s->n_slots; i++) {
            x86_patch_rel32(s->slots[i], b->p);
        }
        tcg_x86_write_back(&e->x, s->dirty);
        call_insn_helper(e, (unsigned)s->val.c, s->off, (const void *)helper_fp);
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
        uint8_t *bad = x86_jcc32(b, X86_CC_NE);
        /* r8-r11 and xmm7 did not survive the call */
        tcg_x86_load_globals(&e->x, e->x.pinned);
        rv_jit_fp_reload_xmm7(b, s->xmm7);
        x86_jmp_to(b, s->resume);
        x86_patch_rel32(bad, b->p);
        x86_mov_imm(b, X86_RDX, (e->icount - s->idx) | (uint32_t)s->len << 8);
        x86_jmp_to(b, e->jit->fail_exit);
        return;
    }
    x86_patch_rel32(s->jcc_at, b->p);
    if (s->type == STUB_EXIT) {
        /* the branch retired; the instructions after it did not */
        tcg_x86_write_back(&e->x, s->dirty);
        give_back(e, e->icount - s->idx - 1);
        exit_to(e, s->val.c);
        return;
    }
    if (s->type == STUB_LOAD) {
        x86_mov_rr(b, X86_RDI, X86_RBX);        /* rsi holds the address */
        x86_mov_imm(b, X86_RDX, s->mem);
        x86_call_to(b, e->jit->thunk_load);
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
        failed = x86_jcc32(b, X86_CC_NE);
        if (s->d_reg >= 0) {
            x86_load64(b, s->d_reg, x86_mem(X86_RBX, VAL_OFF));
        } else if (s->d != TCG_NO_TEMP) {
            x86_load64(b, X86_RAX, x86_mem(X86_RBX, VAL_OFF));
            x86_store64(b, tcg_x86_temp_mem(&e->x, s->d), X86_RAX);
        }
        x86_jmp_to(b, s->resume);
    } else if (s->type == STUB_STORE) {
        x86_mov_rr(b, X86_RDI, X86_RBX);
        stub_value(e, s);
        x86_mov_imm(b, X86_RCX, s->mem & TCG_MEM_SIZE);
        x86_call_to(b, e->jit->thunk_store);
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
        failed = x86_jcc32(b, X86_CC_NE);
        x86_jmp_to(b, s->resume);
    }
    if (s->type == STUB_INSN) {
        tcg_x86_write_back(&e->x, s->dirty);
        call_insn_helper(e, (unsigned)s->val.c, s->off, s->fn);
        /* done (OK or STOP): leave past it; else the exception */
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_EXC);
        uint8_t *exc = x86_jcc32(b, X86_CC_E);
        x86_mov_imm(b, X86_RAX, RV_JIT_H_STOP);
        x86_patch_rel32(exc, b->p);
    }
    /* STUB_RESULT: registers stored and pc set before the call */
    if (failed) {
        x86_patch_rel32(failed, b->p);
        tcg_x86_write_back(&e->x, s->dirty);
        if (s->type == STUB_LOAD && s->d != TCG_NO_TEMP) {
            /* a stop: the load is done, its value must reach x[rd]
             * (loads write guest registers, which live in memory) */
            x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_STOP);
            uint8_t *skip = x86_jcc32(b, X86_CC_NE);
            x86_load64(b, X86_RCX, x86_mem(X86_RBX, VAL_OFF));
            x86_store64(b, x86_mem(X86_RBX, global_offsets[s->d]), X86_RCX);
            x86_patch_rel32(skip, b->p);
        }
        pc_value(e, X86_RCX, s->off);
        x86_store64(b, x86_mem(X86_RBX, PC_OFF), X86_RCX);
    }
    /* eax is EXC or STOP; dl = not retired on an exception, dh = length */
    x86_mov_imm(b, X86_RDX, (e->icount - s->idx) | (uint32_t)s->len << 8);
    x86_jmp_to(b, e->jit->fail_exit);
}

/* Lower one op of the optimised block. */
static void lower_op(Emit *e, const TcgOp *op)
{
    /* anything but pure ops, exits and FP fast paths may run C (slow
     * paths included) or join paths: xmm7 is not known after it */
    if (op->opc == TCG_OP_LD || op->opc == TCG_OP_ST || op->opc == TCG_OP_LABEL ||
        (op->opc == TCG_OP_TARGET && op->aux != RV_T_FP)) {
        e->fp_xmm7 = -1;
    }
    switch (op->opc) {
    case TCG_OP_INSN:
        e->cur_off = op->imm;
        e->cur_idx = op->insn;
        e->cur_len = (unsigned)op->imm2;
        break;
    case TCG_OP_LD: lower_load(e, op); break;
    case TCG_OP_ST: lower_store(e, op); break;
    case TCG_OP_TARGET:
        if (op->aux == RV_T_FENCE) {
            x86_mfence(B(e));
        } else if (op->aux == RV_T_FLOAD || op->aux == RV_T_FSTORE) {
            lower_fp_access(e, op);
        } else if (op->aux == RV_T_FP) {
            lower_fp(e, op);
        } else if (op->aux == RV_T_FCSR) {
            lower_fcsr(e, op);
        } else {
            lower_call(e, op);
        }
        break;
    case TCG_OP_GOTO: lower_goto(e, op->imm); break;
    case TCG_OP_GOTO_PTR: lower_goto_ptr(e, op); break;
    case TCG_OP_BRCOND: lower_brcond(e, op); break;
    case TCG_OP_EXIT_IF: lower_exit_if(e, op); break;
    case TCG_OP_SKIP_IF: lower_skip_if(e, op); break;
    case TCG_OP_LABEL: lower_label(e, op); break;
    default:
        tcg_x86_lower_pure(&e->x, op);
        break;
    }
}

/*
 * The CSRs a block may access without ending there: the FP ones inline
 * (lower_fcsr), and through a call the supervisor/machine registers that
 * Linux touches all the time (sstatus around every lock, the trap
 * registers, time for sched_clock).  Not the counters (instret and
 * cycle are only brought up to date at the end of a block) nor satp.
 */
static bool csr_in_block(const RvCpu *cpu, unsigned csr)
{
    switch (csr) {
    case 0x001: case 0x002: case 0x003:             /* fflags, frm, fcsr */
        return cpu->ext & RV_EXT_F;
    case 0x100: case 0x104: case 0x105:             /* sstatus, sie, stvec */
    case 0x140: case 0x141: case 0x142: case 0x143: /* sscratch .. stval */
    case 0x144:                                     /* sip */
    case 0x300: case 0x304: case 0x305:             /* mstatus, mie, mtvec */
    case 0x340: case 0x341: case 0x342: case 0x343: /* mscratch .. mtval */
    case 0x344:                                     /* mip */
    case 0xc01:                                     /* time */
        return true;
    default:
        return false;
    }
}

/* Does the JIT compile `in` at `pc`? */
static bool translatable(const RvCpu *cpu, const RvInsn *in, uint64_t pc)
{
    bool has_c = cpu->ext & RV_EXT_C;

    switch (in->op) {
    case RV_OP_JAL:
    case RV_OP_BEQ: case RV_OP_BNE: case RV_OP_BLT: case RV_OP_BGE:
    case RV_OP_BLTU: case RV_OP_BGEU:
        return has_c || !((pc + (int64_t)in->imm) & 2);     /* else: trap in C */
    case RV_OP_JALR:
        return has_c;                   /* may trap as misaligned */
    case RV_OP_CSRRW: case RV_OP_CSRRS: case RV_OP_CSRRC:
    case RV_OP_CSRRWI: case RV_OP_CSRRSI: case RV_OP_CSRRCI:
        return csr_in_block(cpu, (unsigned)in->imm & 0xfff);
    case RV_OP_ILLEGAL: case RV_OP_FENCE_I: case RV_OP_ECALL: case RV_OP_EBREAK:
    case RV_OP_MRET: case RV_OP_SRET: case RV_OP_WFI: case RV_OP_SFENCE_VMA:
        return false;
    default:
        return true;
    }
}

static bool is_branch(const RvInsn *in)
{
    return in->op >= RV_OP_BEQ && in->op <= RV_OP_BGEU;
}

static bool ends_block(const RvInsn *in)
{
    return in->op == RV_OP_JAL || in->op == RV_OP_JALR || is_branch(in);
}

/*
 * Conditional branches (not the last instruction) whose target is a later
 * instruction of the same block become jumps within it (SKIP_IF to a
 * LABEL before the target): an if-then in the guest code stays in one
 * block on both paths.  Sets skip_to[i] (the target instruction, or -1)
 * and label_at[j] (the label before instruction j, or -1).
 */
static void mark_skips(Emit *e, unsigned n)
{
    int64_t at[MAX_TB_INSNS];
    int64_t off = 0;
    int labels = 0;

    for (unsigned i = 0; i < n; i++) {
        at[i] = off;
        off += e->ins[i].len;
        e->skip_to[i] = e->label_at[i] = -1;
    }
    for (unsigned i = 0; i + 1 < n; i++) {
        const RvInsn *in = &e->ins[i];
        if (!is_branch(in) || in->imm <= 0) {
            continue;
        }
        int64_t target = at[i] + in->imm;
        for (unsigned j = i + 1; j < n; j++) {
            if (at[j] == target) {
                if (e->label_at[j] < 0) {
                    if (labels == TCG_MAX_LABELS) {
                        break;
                    }
                    e->label_at[j] = labels++;
                }
                e->skip_to[i] = (int)j;
                e->skip_over[i] = j - i - 1;
                break;
            }
        }
    }
}

/* -d op / op_opt */
static void log_ir(Emit *e, bool optimised)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (f) {
        tcg_ir_dump(&e->blk, f);
        fclose(f);
        e->cpu->cfg.on_jit_ir(e->cpu->cfg.jit_log_opaque, e->base_pc, optimised, text);
    }
    free(text);
}

/* Decode the block's instructions: up to a jump or branch, an instruction
 * left to the interpreter, the page end or MAX_TB_INSNS. */
static unsigned decode_block(Emit *e, RvTb *tb, uint64_t pc, const uint8_t *host,
                             unsigned page_left, unsigned *bytes, bool one_bb)
{
    RvCpu *cpu = e->cpu;
    unsigned off = 0, n = 0, side_exits = 0;

    while (n < MAX_TB_INSNS && off + 2 <= page_left) {
        uint16_t lo;
        uint32_t raw;

        memcpy(&lo, host + off, 2);
        unsigned len = rv_insn_length(lo);
        if (off + len > page_left) {
            break;                      /* crosses the page: interpreter */
        }
        raw = lo;
        if (len == 4) {
            uint16_t hi;
            memcpy(&hi, host + off + 2, 2);
            raw |= (uint32_t)hi << 16;
        }
        rv_decode(raw, cpu->ext, &e->ins[n]);
        if (!translatable(cpu, &e->ins[n], pc + off)) {
            tb->csr = n == 0 && e->ins[0].op >= RV_OP_CSRRW &&
                      e->ins[0].op <= RV_OP_CSRRCI;
            break;
        }
        if (cpu->cfg.on_decode && !one_bb) {    /* -d in_asm: as it is translated */
            cpu->cfg.on_decode(cpu->cfg.decode_opaque, pc + off, &e->ins[n]);
        }
        off += len;
        const RvInsn *in = &e->ins[n++];
        /* a conditional branch ends the block unless the block can go on
         * with its fall-through: not one back to the block's start (a
         * loop, see loop_back), not past MAX_SIDE_EXITS */
        if (is_branch(in) && !one_bb && side_exits < MAX_SIDE_EXITS &&
            pc + off - len + (int64_t)in->imm != pc) {
            side_exits++;
            continue;
        }
        if (ends_block(in)) {
            break;
        }
    }
    *bytes = off;
    return n;
}

bool rv_jit_translate(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                      unsigned page_left)
{
    TcgCodeCache *cache = &cpu->jit->cache;
    unsigned bytes;

    if (!cpu->jit->scratch) {
        cpu->jit->scratch = g_new(Emit, 1);
    }
    Emit *e = cpu->jit->scratch;

    e->cpu = cpu;
    e->base_pc = pc;
    e->dpriv = rv_data_priv(cpu);
    e->flags = tb->flags;
    e->jit = cpu->jit;
    e->n_stubs = 0;
    e->chain = cpu->jit->chain;
    tb->csr = false;
    tb->code = NULL;
    tb->icount = 0;

    unsigned n = decode_block(e, tb, pc, host, page_left, &bytes, false);
    if (n == 0) {
        tb->kind = RV_TB_INTERP;
        return true;
    }
    tb->kind = RV_TB_CODE;
    e->icount = n;

    /* the IR, optimised */
    tcg_ir_init(&e->blk, 32, rv_jit_global_names);
    e->blk.target_name = rv_jit_target_name;
    int64_t off = 0;
    mark_skips(e, n);
    for (unsigned i = 0; i < n; i++) {
        if (e->label_at[i] >= 0) {
            TcgOp *l = tcg_ir_op(&e->blk, TCG_OP_LABEL, i);
            l->imm = e->label_at[i];
        }
        rv_jit_front(&e->blk, &e->ins[i], i, off, i == n - 1);
        if (e->skip_to[i] >= 0) {
            /* a branch forward into the block: no exit, a jump within */
            TcgOp *br = &e->blk.ops[e->blk.n_ops - 1];
            g_assert(br->opc == TCG_OP_EXIT_IF);
            br->opc = TCG_OP_SKIP_IF;
            br->imm = e->label_at[e->skip_to[i]];
        }
        off += e->ins[i].len;
    }
    const RvInsn *last = &e->ins[n - 1];
    if (!ends_block(last)) {
        TcgOp *op = tcg_ir_op(&e->blk, TCG_OP_GOTO, n - 1);
        op->imm = off;
    }
    e->self_loop = e->chain && (last->op == RV_OP_JAL ||
                                (last->op >= RV_OP_BEQ && last->op <= RV_OP_BGEU)) &&
                   off - last->len + last->imm == 0;
    if (cpu->cfg.on_jit_ir) {
        log_ir(e, false);
    }
    tcg_ir_optimise(&e->blk);
    if (cpu->cfg.on_jit_ir) {
        log_ir(e, true);
    }

    /* room for the worst case, or a flush and another try */
    size_t need = (size_t)e->blk.n_ops * OP_MAX_BYTES +
                  (size_t)n * RV_JIT_FP_MAX_BYTES +
                  (size_t)MAX_STUBS * STUB_MAX_BYTES + 4 * EXIT_MAX_BYTES +
                  MAX_SIDE_EXITS * 16 + 64;
    if ((size_t)(cache->base + cache->size - cache->ptr) < need) {
        return false;
    }
    ensure_thunks(cpu->jit);
    X86Buf buf = { cache->ptr, cache->ptr, cache->base + cache->size };
    e->exit = cache->exit;
    tb->code = cache->ptr;
    memset(e->label, 0, sizeof(e->label));
    e->fp_xmm7 = -1;
    uint64_t load_at_entry = tcg_x86_begin(&e->x, &e->blk, buf, global_offsets,
                                           SPILL_OFF, e->self_loop);

    /*
     * Entry, from the dispatcher, a chained jump or the jump cache (r12 is
     * this block's pc in every case; cpu->pc may be older): leave at once,
     * storing the pc, if the chunk must end (an interrupt, an exit
     * request) or the block does not fit in the steps left; else take its
     * steps and load the pinned registers.
     */
    x86_cmp_mem32_imm8(B(e), x86_mem(X86_RBX, BREAK_OFF), 0);
    uint8_t *to_early = x86_jcc32(B(e), X86_CC_NE);
    x86_alu_ri32(B(e), X86_SUB, X86_R13, (int32_t)n);
    uint8_t *to_undo = x86_jcc32(B(e), X86_CC_B);
    tcg_x86_load_globals(&e->x, load_at_entry);
    e->body = B(e)->p;

    for (unsigned i = 0; i < e->blk.n_ops; i++) {
        const TcgOp *op = &e->blk.ops[i];
        if (op->opc == TCG_OP_NOP) {
            continue;
        }
        /* rem + div (or div + rem) of the same operands, as compilers
         * emit for / and % together: one host division */
        unsigned j = i + 1;
        while (j < e->blk.n_ops && (e->blk.ops[j].opc == TCG_OP_NOP ||
                                    e->blk.ops[j].opc == TCG_OP_INSN)) {
            j++;
        }
        if (j < e->blk.n_ops && tcg_x86_divrem_pair(op, &e->blk.ops[j])) {
            for (unsigned k = i + 1; k < j; k++) {
                if (e->blk.ops[k].opc == TCG_OP_INSN) {
                    lower_op(e, &e->blk.ops[k]);
                }
            }
            tcg_x86_lower_divrem(&e->x, op, &e->blk.ops[j]);
            tcg_x86_op_done(&e->x, i);
            tcg_x86_op_done(&e->x, j);
            i = j;
            continue;
        }
        lower_op(e, op);
        tcg_x86_op_done(&e->x, i);
    }
    for (unsigned i = 0; i < e->n_stubs; i++) {
        emit_stub(e, &e->stubs[i]);
    }
    emit_skip_stubs(e);
    /* the entry checks' way out: nothing retired, pc unchanged */
    x86_patch_rel32(to_undo, B(e)->p);
    give_back(e, n);
    x86_patch_rel32(to_early, B(e)->p);
    x86_store64(B(e), x86_mem(X86_RBX, PC_OFF), X86_R12);
    leave(e, RV_JIT_EXIT_NEXT);

    if (e->x.failed || B(e)->p > buf.end) {
        /* out of spill slots (or the bound above was wrong): interpret */
        g_assert(B(e)->p <= buf.end);
        tb->kind = RV_TB_INTERP;
        tb->code = NULL;
        return true;
    }
    tb->icount = (uint16_t)n;
    /* keep blocks 16-byte aligned, the gap filled with int3 (so -d out_asm
     * shows no stale code, and a stray jump there traps) */
    uint8_t *end = (uint8_t *)(((uintptr_t)B(e)->p + 15) & ~(uintptr_t)15);
    if (end > cache->base + cache->size) {
        end = cache->base + cache->size;
    }
    memset(B(e)->p, 0xcc, (size_t)(end - B(e)->p));
    cache->ptr = end;
    return true;
}

void rv_jit_scan(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                 unsigned page_left)
{
    unsigned bytes;

    if (!cpu->jit->scratch) {
        cpu->jit->scratch = g_new(Emit, 1);
    }
    Emit *e = cpu->jit->scratch;
    e->cpu = cpu;
    ensure_thunks(cpu->jit);            /* cold_entry, for the jump cache */
    tb->csr = false;
    tb->code = NULL;
    tb->heat = 0;
    tb->icount = (uint16_t)decode_block(e, tb, pc, host, page_left, &bytes, true);
    tb->kind = tb->icount ? RV_TB_COLD : RV_TB_INTERP;
}

#else /* !__x86_64__ */

void rv_jit_scan(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                 unsigned page_left)
{
    tb->kind = RV_TB_INTERP;
    tb->code = NULL;
    tb->icount = 0;
}

bool rv_jit_translate(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                      unsigned page_left)
{
    tb->kind = RV_TB_INTERP;
    tb->code = NULL;
    tb->icount = 0;
    return true;
}

#endif
