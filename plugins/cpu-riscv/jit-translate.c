/*
 * jit-translate.c - RISC-V instructions (decoded RvInsn) to x86-64.
 *
 * A template translator: each guest instruction becomes a short fixed
 * sequence.  Guest registers live in RvCpu (rbx points at it); within a
 * block the most used ones are kept in host registers (see "register
 * cache" below) and written back at every way out of the block and before
 * every helper call, so a block needs no register state at its edges and
 * helpers see cpu->x as it is.  Loads and stores probe the interpreter's soft TLB inline (same
 * layout, same rules) and fall back to a C helper out of line.  Every
 * helper that can fault is preceded, on its slow path only, by a store of
 * the instruction's pc, so exceptions are exact: the block returns with
 * the number of instructions that retired before the faulting one.
 *
 * Register use inside translated code: rbx = RvCpu *, r12 = the virtual
 * pc the block was entered at (set by whoever enters it: the dispatcher
 * through the trampoline, a chained jump or the jump cache; cpu->pc is
 * stored only on the way out to the dispatcher and before helpers that
 * may fail), r13 = steps left in the chunk
 * (callee-saved, so helpers keep them),
 * rax/rcx/rdx/rsi/rdi scratch; rbp, r14, r15, r8-r11 cache guest
 * registers.
 */
#include "jit.h"
#include "x86-emit.h"

#if defined(__x86_64__)

#define MAX_TB_INSNS 128
/* Generous upper bounds of one instruction's inline code and of one
 * out-of-line stub, used to make sure a block always fits. */
#define INSN_MAX_BYTES 384
#define STUB_MAX_BYTES 256
#define EXIT_MAX_BYTES 192

#define X_OFF(r) ((int32_t)(offsetof(RvCpu, x) + 8 * (r)))
#define PC_OFF ((int32_t)offsetof(RvCpu, pc))
#define BREAK_OFF ((int32_t)offsetof(RvCpu, break_chunk))
#define JC_OFF ((int32_t)offsetof(RvCpu, jcache))
#define VAL_OFF ((int32_t)offsetof(RvCpu, jit_val))

_Static_assert(sizeof(RvJumpCacheEntry) == 32, "the jump cache probe scales by 32");
#define TLB_OFF(p) ((int32_t)(offsetof(RvCpu, tlb) + (p) * sizeof(RvTlbEntry[RV_TLB_SIZE])))
#define TAG_OFF(acc) ((int32_t)(offsetof(RvTlbEntry, tag) + 8 * (acc)))
#define HOST_OFF ((int32_t)offsetof(RvTlbEntry, host_minus_va))

_Static_assert(sizeof(RvTlbEntry) == 40, "the inline TLB probe scales by 5 * 8");
_Static_assert(sizeof(RvInsn) == 16, "helpers take an RvInsn as two words");

enum { STUB_LOAD, STUB_STORE, STUB_RESULT };

/* Host registers that may hold guest registers within a block: the
 * callee-saved ones first (a helper call keeps them), then caller-saved
 * ones, which the trampoline does not need to save either. */
static const int cache_host[] = {
    X86_RBP, X86_R14, X86_R15, X86_R8, X86_R9, X86_R10, X86_R11,
};
#define N_CACHE_HOST ((unsigned)(sizeof(cache_host) / sizeof(cache_host[0])))

/* Out-of-line code emitted after the block's body. */
typedef struct Stub {
    int type;
    uint8_t *jcc_at;            /* rel32 of the jump that leads here */
    uint8_t *resume;            /* where the fast path continues */
    RvInsn in;
    uint64_t pc;
    unsigned idx;               /* instruction index in the block */
    uint32_t dirty;             /* cached registers to write back first */
} Stub;

typedef struct Emit {
    X86Buf b;
    RvCpu *cpu;
    uint64_t base_pc;           /* virtual pc translated at (r12 at run time) */
    unsigned icount;            /* instructions in the block, once known */
    bool chain;                 /* emit chainable exits */
    unsigned dpriv;             /* privilege of data accesses */
    uint32_t flags;             /* the block's priv | data priv << 2 */
    const uint8_t *exit;
    const RvJit *jit;           /* for its shared code (thunks) */
    Stub stubs[MAX_TB_INSNS];
    unsigned n_stubs;
    /* register cache: host_of[r] is the host register holding x[r] or -1;
     * dirty: cached registers changed since they were last stored */
    int8_t host_of[32];
    uint32_t cached, dirty;
    /* a block whose last instruction jumps back to its first loops inside
     * itself (see loop_back) */
    bool self_loop;
    unsigned planned;           /* instructions the block will have */
    uint8_t *body;              /* the code after the entry's loads */
} Emit;

static X86Mem xreg(unsigned r)
{
    return x86_mem(X86_RBX, X_OFF(r));
}

/* host register = guest x[r] */
static void get_x(Emit *e, int host, unsigned r)
{
    if (r == 0) {
        x86_mov_imm(&e->b, host, 0);
    } else if (e->host_of[r] >= 0) {
        x86_mov_rr(&e->b, host, e->host_of[r]);
    } else {
        x86_load64(&e->b, host, xreg(r));
    }
}

/* guest x[r] = host register (x0 stays zero) */
static void set_x(Emit *e, unsigned r, int host)
{
    if (r == 0) {
        return;
    }
    if (e->host_of[r] >= 0) {
        x86_mov_rr(&e->b, e->host_of[r], host);
        e->dirty |= 1u << r;
    } else {
        x86_store64(&e->b, xreg(r), host);
    }
}

static void set_x_imm(Emit *e, unsigned r, uint64_t v)
{
    if (r == 0) {
        return;
    }
    if (e->host_of[r] >= 0) {
        x86_mov_imm(&e->b, e->host_of[r], v);
        e->dirty |= 1u << r;
    } else if ((int64_t)v == (int32_t)v) {
        x86_store_imm32(&e->b, xreg(r), (int32_t)v);
    } else {
        x86_mov_imm(&e->b, X86_RAX, v);
        set_x(e, r, X86_RAX);
    }
}

/* The host register that holds x[r]: its cache register, or `scratch`
 * loaded with it (zeroed for x0). */
static int src_reg(Emit *e, unsigned r, int scratch)
{
    if (r != 0 && e->host_of[r] >= 0) {
        return e->host_of[r];
    }
    get_x(e, scratch, r);
    return scratch;
}

/* Where an instruction should compute x[rd]: its cache register, or rax
 * (then stored by set_x). */
static int dst_reg(Emit *e, unsigned rd)
{
    return rd != 0 && e->host_of[rd] >= 0 ? e->host_of[rd] : X86_RAX;
}

/* Finish writing x[rd] computed in dst_reg(rd). */
static void dst_done(Emit *e, unsigned rd, int d)
{
    if (d == X86_RAX) {
        set_x(e, rd, X86_RAX);
    } else {
        e->dirty |= 1u << rd;
    }
}

/*
 * Register cache.  Before translating, the block's instructions are
 * scanned: the guest registers its templates use at least twice get a
 * host register each (most used first).  At entry the block loads those
 * that are read before being written; a template reads and writes the
 * host register instead of RvCpu.x.  Every way out (exits, and the slow
 * paths before calling C) stores the dirty ones; after a helper call all
 * cached registers are loaded again (the helper may have written x[rd],
 * and r8-r11 do not survive a call).  Blocks are straight lines, so
 * "dirty" is known at each point at translation time.
 */
static void write_back(Emit *e, uint32_t dirty)
{
    for (unsigned r = 1; r < 32; r++) {
        if (dirty & (1u << r)) {
            x86_store64(&e->b, xreg(r), e->host_of[r]);
        }
    }
}

static void load_cached(Emit *e, uint32_t which)
{
    for (unsigned r = 1; r < 32; r++) {
        if (which & e->cached & (1u << r)) {
            x86_load64(&e->b, e->host_of[r], xreg(r));
        }
    }
}

/*
 * host = the guest address `pc` (an address inside or near the block).
 * Blocks are keyed by physical address and may run at any virtual alias
 * of their page (the kernel's identity map and its high mapping, a shared
 * library in two processes), so no virtual address is baked into code:
 * r12 holds the pc the block was entered at, and pc values are r12 plus
 * their distance from the block's start.
 */
static void pc_value(Emit *e, int host, uint64_t pc)
{
    int64_t delta = (int64_t)(pc - e->base_pc);
    if (delta == (int32_t)delta) {
        x86_lea(&e->b, host, x86_mem(X86_R12, (int32_t)delta));
    } else {
        /* AUIPC with a large offset: two steps that each fit */
        int32_t half = (int32_t)(delta / 2);
        x86_lea(&e->b, host, x86_mem(X86_R12, half));
        x86_alu_ri(&e->b, true, X86_ADD, host, (int32_t)(delta - half));
    }
}

static void set_pc(Emit *e, uint64_t pc)
{
    pc_value(e, X86_RAX, pc);
    x86_store64(&e->b, x86_mem(X86_RBX, PC_OFF), X86_RAX);
}

/* guest x[r] = the address pc */
static void set_x_pc(Emit *e, unsigned r, uint64_t pc)
{
    if (r != 0) {
        pc_value(e, X86_RAX, pc);
        set_x(e, r, X86_RAX);
    }
}

/*
 * Instruction accounting: r13 holds the steps left in the chunk.  A block
 * takes its whole icount at entry; an exit before its end gives back the
 * instructions that did not retire (`unretired`).
 */
static void give_back(Emit *e, unsigned unretired)
{
    if (unretired) {
        x86_alu_ri(&e->b, true, X86_ADD, X86_R13, (int32_t)unretired);
    }
}

/* Jump to the exit trampoline with `kind` and no chaining slot. */
static void leave(Emit *e, unsigned kind)
{
    x86_mov_imm(&e->b, X86_RDX, 0);
    x86_mov_imm(&e->b, X86_RAX, kind);
    x86_jmp_to(&e->b, e->exit);
}

/*
 * Go on to the block for the pc in rcx (already stored in cpu->pc)
 * through the jump cache: an entry for this pc made in the same mode
 * (the block's own flags: the mode cannot change inside a chain) holds
 * the code to jump to; a miss returns to the dispatcher, which fills the
 * entry.  The target block's entry checks do the rest (break_chunk, steps
 * left, r12).
 */
static void jump_cached(Emit *e)
{
    X86Buf *b = &e->b;

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
 * Leave the block for `pc`.  When pc is in the block's own page (so in
 * the same physical page at whatever alias the block runs), the exit is
 * a jump the dispatcher may later point straight at the next block
 * (chaining); until then it goes on to code that returns the jump's
 * address as the slot to patch.
 */
static void exit_to(Emit *e, uint64_t pc, unsigned unretired, unsigned kind)
{
    if (e->chain && kind == RV_JIT_EXIT_NEXT && unretired == 0 &&
        (pc & RV_PAGE_MASK) != (e->base_pc & RV_PAGE_MASK)) {
        /* another page, maybe mapped elsewhere next time: jump cache */
        pc_value(e, X86_RCX, pc);
        jump_cached(e);
        return;
    }
    if (e->chain && kind == RV_JIT_EXIT_NEXT && unretired == 0) {
        /* the next block's pc goes in r12 (same page: a short distance) */
        x86_lea(&e->b, X86_R12, x86_mem(X86_R12, (int32_t)(pc - e->base_pc)));
        uint8_t *slot = x86_jmp32(&e->b);
        x86_patch_rel32(slot, e->b.p);
        x86_store64(&e->b, x86_mem(X86_RBX, PC_OFF), X86_R12);
        x86_lea_rip(&e->b, X86_RDX, slot);
        x86_mov_imm(&e->b, X86_RAX, kind);
        x86_jmp_to(&e->b, e->exit);
        return;
    }
    set_pc(e, pc);
    give_back(e, unretired);
    leave(e, kind);
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
    c->ptr = (uint8_t *)(((uintptr_t)b.p + 15) & ~(uintptr_t)15);
    j->thunks_epoch = c->flushes;
    j->have_thunks = true;
}

/* ---- templates ---- */

static void add_stub(Emit *e, int type, uint8_t *jcc_at, const RvInsn *in,
                     uint64_t pc, unsigned idx)
{
    Stub *s = &e->stubs[e->n_stubs++];
    s->type = type;
    s->jcc_at = jcc_at;
    s->resume = e->b.p;
    s->in = *in;
    s->pc = pc;
    s->idx = idx;
    s->dirty = e->dirty;
}

/*
 * rsi = x[rs1] + imm (the virtual address); rax = TLB index * 5; compare
 * the page of the access's last byte with the tag, so that an access that
 * crosses into the next page misses (unaligned accesses inside a RAM page
 * are fine on x86, and give what the interpreter's byte-wise emulation
 * gives).  I/O tags have bit 0 set and never match.  Leaves rcx = the
 * host-minus-va of the entry, and returns the rel32 of the miss jump.
 */
static uint8_t *tlb_probe(Emit *e, const RvInsn *in, unsigned size, RvAccess acc)
{
    X86Buf *b = &e->b;

    int base = src_reg(e, in->rs1, X86_RSI);
    if (in->imm || base != X86_RSI) {
        x86_lea(b, X86_RSI, x86_mem(base, in->imm));
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

static void emit_load(Emit *e, const RvInsn *in, uint64_t pc, unsigned idx,
                      unsigned size, bool sign)
{
    uint8_t *miss = tlb_probe(e, in, size, RV_ACC_READ);
    /* the slow path writes back what is dirty before the load: rd's host
     * register may not hold anything yet, and must not reach x[rd] if
     * the load faults */
    uint32_t dirty = e->dirty;
    int d = dst_reg(e, in->rd);
    x86_load(&e->b, size, sign, d, x86_mem_idx(X86_RSI, X86_RCX, 1, 0));
    dst_done(e, in->rd, d);
    add_stub(e, STUB_LOAD, miss, in, pc, idx);
    e->stubs[e->n_stubs - 1].dirty = dirty;
}

static void emit_store(Emit *e, const RvInsn *in, uint64_t pc, unsigned idx,
                       unsigned size)
{
    uint8_t *miss = tlb_probe(e, in, size, RV_ACC_WRITE);
    int v = src_reg(e, in->rs2, X86_RDX);
    x86_store(&e->b, size, x86_mem_idx(X86_RSI, X86_RCX, 1, 0), v);
    add_stub(e, STUB_STORE, miss, in, pc, idx);
}

/* Call helper(cpu, insn) for an instruction done in C (FP, atomics). */
static void emit_insn_helper(Emit *e, const RvInsn *in, uint64_t pc, unsigned idx,
                             const void *fn)
{
    uint64_t w[2];
    memcpy(w, in, 16);
    write_back(e, e->dirty);
    e->dirty = 0;
    set_pc(e, pc);
    x86_mov_rr(&e->b, X86_RDI, X86_RBX);
    x86_mov_imm(&e->b, X86_RSI, w[0]);
    x86_mov_imm(&e->b, X86_RDX, w[1]);
    x86_call_abs(&e->b, fn);
    x86_alu_ri(&e->b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
    uint8_t *bad = x86_jcc32(&e->b, X86_CC_NE);
    add_stub(e, STUB_RESULT, bad, in, pc, idx);
    load_cached(e, e->cached);
}

/*
 * rax = rax / rcx or rax % rcx for the DIV/REM family, with RISC-V's
 * results where x86 would fault: x / 0 = all ones and x % 0 = x; the
 * signed overflow MIN / -1 = MIN and MIN % -1 = 0 (any x / -1 is -x and
 * x % -1 is 0, so -1 takes its own path).  W forms work on the low 32
 * bits and sign-extend the 32-bit result.
 */
static void emit_div(Emit *e, unsigned op)
{
    X86Buf *b = &e->b;
    bool w32 = op == RV_OP_DIVW || op == RV_OP_DIVUW || op == RV_OP_REMW ||
               op == RV_OP_REMUW;
    bool sign = op == RV_OP_DIV || op == RV_OP_REM || op == RV_OP_DIVW ||
                op == RV_OP_REMW;
    bool rem = op == RV_OP_REM || op == RV_OP_REMU || op == RV_OP_REMW ||
               op == RV_OP_REMUW;
    uint8_t *minus1 = NULL, *done1 = NULL;

    x86_test_rr(b, !w32, X86_RCX, X86_RCX);
    uint8_t *zero = x86_jcc32(b, X86_CC_E);
    if (sign) {
        x86_alu_ri(b, !w32, X86_CMP, X86_RCX, -1);
        minus1 = x86_jcc32(b, X86_CC_E);
        x86_sign_extend_ax(b, !w32);
    } else {
        x86_mov_imm(b, X86_RDX, 0);
    }
    x86_div(b, !w32, sign, X86_RCX);
    if (rem) {
        x86_mov_rr(b, X86_RAX, X86_RDX);
    }
    uint8_t *done0 = x86_jmp32(b);
    if (sign) {
        x86_patch_rel32(minus1, b->p);
        if (rem) {
            x86_mov_imm(b, X86_RAX, 0);
        } else {
            x86_neg(b, !w32, X86_RAX);
        }
        done1 = x86_jmp32(b);
    }
    x86_patch_rel32(zero, b->p);
    if (!rem) {
        x86_mov_imm(b, X86_RAX, UINT64_MAX);
    }                                       /* x % 0 = x: rax already */
    x86_patch_rel32(done0, b->p);
    if (done1) {
        x86_patch_rel32(done1, b->p);
    }
    if (w32) {
        x86_movsxd(b, X86_RAX, X86_RAX);
    }
}

/*
 * ADD, SUB, AND, OR, XOR, MUL and their W forms straight on the cache
 * registers: d = s1 OP s2 with d the destination's register, so a chain
 * of dependent instructions has no moves in it (moves are not free on
 * every x86: some disable move elimination).  False for the other ops.
 */
static bool emit_alu_rr_direct(Emit *e, const RvInsn *in)
{
    X86Buf *b = &e->b;
    int op;
    bool w = true, mul = false, commutes = true;

    switch (in->op) {
    case RV_OP_ADD: op = X86_ADD; break;
    case RV_OP_ADDW: op = X86_ADD; w = false; break;
    case RV_OP_SUB: op = X86_SUB; commutes = false; break;
    case RV_OP_SUBW: op = X86_SUB; w = false; commutes = false; break;
    case RV_OP_AND: op = X86_AND; break;
    case RV_OP_OR: op = X86_OR; break;
    case RV_OP_XOR: op = X86_XOR; break;
    case RV_OP_MUL: op = 0; mul = true; break;
    case RV_OP_MULW: op = 0; mul = true; w = false; break;
    default: return false;
    }
    int d = dst_reg(e, in->rd);
    int s2 = src_reg(e, in->rs2, X86_RCX);
    int s1;
    if (d != X86_RAX && d == s2 && in->rs1 != in->rs2) {
        if (!commutes) {
            d = X86_RAX;                /* x[rs2] is still needed */
            s1 = src_reg(e, in->rs1, X86_RAX);
            if (s1 != X86_RAX) {
                x86_mov_rr(b, X86_RAX, s1);
            }
        } else {
            s2 = src_reg(e, in->rs1, X86_RAX);  /* d = s2 OP s1 */
        }
    } else {
        s1 = src_reg(e, in->rs1, d);
        if (s1 != d) {
            x86_mov_rr(b, d, s1);
        }
    }
    if (mul) {
        x86_imul_rr(b, w, d, s2);
    } else {
        x86_alu_rr(b, w, op, d, s2);
    }
    if (!w) {
        x86_movsxd(b, d, d);
    }
    if (d == X86_RAX) {
        set_x(e, in->rd, X86_RAX);
    } else {
        e->dirty |= 1u << in->rd;
    }
    return true;
}

/* rax = rax OP rcx for the register-register ALU ops. */
static void emit_alu_rr(Emit *e, const RvInsn *in)
{
    X86Buf *b = &e->b;
    bool w32 = false;

    if (emit_alu_rr_direct(e, in)) {
        return;
    }

    get_x(e, X86_RAX, in->rs1);
    get_x(e, X86_RCX, in->rs2);
    switch (in->op) {
    case RV_OP_ADD: x86_alu_rr(b, true, X86_ADD, X86_RAX, X86_RCX); break;
    case RV_OP_SUB: x86_alu_rr(b, true, X86_SUB, X86_RAX, X86_RCX); break;
    case RV_OP_XOR: x86_alu_rr(b, true, X86_XOR, X86_RAX, X86_RCX); break;
    case RV_OP_OR: x86_alu_rr(b, true, X86_OR, X86_RAX, X86_RCX); break;
    case RV_OP_AND: x86_alu_rr(b, true, X86_AND, X86_RAX, X86_RCX); break;
    case RV_OP_SLL: x86_shift_cl(b, true, X86_SHL, X86_RAX); break;
    case RV_OP_SRL: x86_shift_cl(b, true, X86_SHR, X86_RAX); break;
    case RV_OP_SRA: x86_shift_cl(b, true, X86_SAR, X86_RAX); break;
    case RV_OP_SLT:
        x86_alu_rr(b, true, X86_CMP, X86_RAX, X86_RCX);
        x86_setcc(b, X86_CC_L, X86_RAX);
        break;
    case RV_OP_SLTU:
        x86_alu_rr(b, true, X86_CMP, X86_RAX, X86_RCX);
        x86_setcc(b, X86_CC_B, X86_RAX);
        break;
    case RV_OP_ADDW: x86_alu_rr(b, false, X86_ADD, X86_RAX, X86_RCX); w32 = true; break;
    case RV_OP_SUBW: x86_alu_rr(b, false, X86_SUB, X86_RAX, X86_RCX); w32 = true; break;
    case RV_OP_SLLW: x86_shift_cl(b, false, X86_SHL, X86_RAX); w32 = true; break;
    case RV_OP_SRLW: x86_shift_cl(b, false, X86_SHR, X86_RAX); w32 = true; break;
    case RV_OP_SRAW: x86_shift_cl(b, false, X86_SAR, X86_RAX); w32 = true; break;
    case RV_OP_MUL: x86_imul_rr(b, true, X86_RAX, X86_RCX); break;
    case RV_OP_MULW: x86_imul_rr(b, false, X86_RAX, X86_RCX); w32 = true; break;
    case RV_OP_MULH:
        x86_mul_wide(b, true, X86_RCX);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    case RV_OP_MULHU:
        x86_mul_wide(b, false, X86_RCX);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    case RV_OP_MULHSU:
        /* high(signed a * unsigned b) = high(a * b unsigned) - (a < 0 ? b : 0) */
        x86_mov_rr(b, X86_RSI, X86_RAX);
        x86_mul_wide(b, false, X86_RCX);
        x86_shift_ri(b, true, X86_SAR, X86_RSI, 63);
        x86_alu_rr(b, true, X86_AND, X86_RSI, X86_RCX);
        x86_alu_rr(b, true, X86_SUB, X86_RDX, X86_RSI);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    default:    /* DIV/REM family */
        emit_div(e, in->op);
        break;
    }
    if (w32) {
        x86_movsxd(b, X86_RAX, X86_RAX);
    }
    set_x(e, in->rd, X86_RAX);
}

static void emit_alu_imm(Emit *e, const RvInsn *in)
{
    X86Buf *b = &e->b;
    int32_t imm = in->imm;

    if (in->op == RV_OP_ADDI && in->rs1 == 0) {
        set_x_imm(e, in->rd, (uint64_t)(int64_t)imm);       /* li */
        return;
    }
    /* everything but SLTI/SLTIU works in place in the destination */
    if (in->op != RV_OP_SLTI && in->op != RV_OP_SLTIU) {
        int d = dst_reg(e, in->rd);
        int s1 = src_reg(e, in->rs1, d);
        if (in->op == RV_OP_ADDI && s1 != d) {
            x86_lea(b, d, x86_mem(s1, imm));                /* mv, addi */
            dst_done(e, in->rd, d);
            return;
        }
        if (s1 != d) {
            x86_mov_rr(b, d, s1);
        }
        switch (in->op) {
        case RV_OP_ADDI: x86_alu_ri(b, true, X86_ADD, d, imm); break;
        case RV_OP_XORI: x86_alu_ri(b, true, X86_XOR, d, imm); break;
        case RV_OP_ORI: x86_alu_ri(b, true, X86_OR, d, imm); break;
        case RV_OP_ANDI: x86_alu_ri(b, true, X86_AND, d, imm); break;
        case RV_OP_SLLI: x86_shift_ri(b, true, X86_SHL, d, imm & 63); break;
        case RV_OP_SRLI: x86_shift_ri(b, true, X86_SHR, d, imm & 63); break;
        case RV_OP_SRAI: x86_shift_ri(b, true, X86_SAR, d, imm & 63); break;
        case RV_OP_ADDIW: x86_alu_ri(b, false, X86_ADD, d, imm); break;
        case RV_OP_SLLIW: x86_shift_ri(b, false, X86_SHL, d, imm & 31); break;
        case RV_OP_SRLIW: x86_shift_ri(b, false, X86_SHR, d, imm & 31); break;
        default: x86_shift_ri(b, false, X86_SAR, d, imm & 31); break;    /* SRAIW */
        }
        if (in->op == RV_OP_ADDIW || in->op == RV_OP_SLLIW ||
            in->op == RV_OP_SRLIW || in->op == RV_OP_SRAIW) {
            x86_movsxd(b, d, d);
        }
        dst_done(e, in->rd, d);
        return;
    }
    get_x(e, X86_RAX, in->rs1);
    switch (in->op) {
    case RV_OP_SLTI:
        x86_alu_ri(b, true, X86_CMP, X86_RAX, imm);
        x86_setcc(b, X86_CC_L, X86_RAX);
        break;
    case RV_OP_SLTIU:
        x86_alu_ri(b, true, X86_CMP, X86_RAX, imm);
        x86_setcc(b, X86_CC_B, X86_RAX);
        break;
    case RV_OP_SLLI: x86_shift_ri(b, true, X86_SHL, X86_RAX, imm & 63); break;
    case RV_OP_SRLI: x86_shift_ri(b, true, X86_SHR, X86_RAX, imm & 63); break;
    case RV_OP_SRAI: x86_shift_ri(b, true, X86_SAR, X86_RAX, imm & 63); break;
    case RV_OP_ADDIW:
        x86_alu_ri(b, false, X86_ADD, X86_RAX, imm);
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    case RV_OP_SLLIW:
        x86_shift_ri(b, false, X86_SHL, X86_RAX, imm & 31);
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    case RV_OP_SRLIW:
        x86_shift_ri(b, false, X86_SHR, X86_RAX, imm & 31);
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    default: /* SRAIW */
        x86_shift_ri(b, false, X86_SAR, X86_RAX, imm & 31);
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    }
    set_x(e, in->rd, X86_RAX);
}

/*
 * The jump back to the start of a self-looping block: the entry's checks
 * (break_chunk, steps left) done in place, then straight to the body with
 * the guest registers still in host registers and r12 unchanged.  The
 * body treats every register the block writes as dirty from its start
 * (plan_registers loads them at entry), so whatever an earlier iteration
 * left unwritten is stored at the next way out.
 */
static void loop_back(Emit *e)
{
    X86Buf *b = &e->b;

    x86_cmp_mem32_imm8(b, x86_mem(X86_RBX, BREAK_OFF), 0);
    uint8_t *out = x86_jcc32(b, X86_CC_NE);
    x86_alu_ri32(b, X86_SUB, X86_R13, (int32_t)e->planned);
    uint8_t *undo = x86_jcc32(b, X86_CC_B);
    x86_jmp_to(b, e->body);
    x86_patch_rel32(undo, b->p);
    give_back(e, e->planned);
    x86_patch_rel32(out, b->p);
    write_back(e, e->dirty);
    set_pc(e, e->base_pc);
    leave(e, RV_JIT_EXIT_NEXT);
}

static void emit_branch(Emit *e, const RvInsn *in, uint64_t pc, unsigned idx)
{
    static const int cc[] = {
        [RV_OP_BEQ - RV_OP_BEQ] = X86_CC_E, [RV_OP_BNE - RV_OP_BEQ] = X86_CC_NE,
        [RV_OP_BLT - RV_OP_BEQ] = X86_CC_L, [RV_OP_BGE - RV_OP_BEQ] = X86_CC_GE,
        [RV_OP_BLTU - RV_OP_BEQ] = X86_CC_B, [RV_OP_BGEU - RV_OP_BEQ] = X86_CC_AE,
    };
    int s1 = src_reg(e, in->rs1, X86_RAX), s2 = src_reg(e, in->rs2, X86_RCX);
    if (e->self_loop && pc + (int64_t)in->imm == e->base_pc) {
        x86_alu_rr(&e->b, true, X86_CMP, s1, s2);
        uint8_t *not_taken = x86_jcc32(&e->b, cc[in->op - RV_OP_BEQ] ^ 1);
        loop_back(e);
        x86_patch_rel32(not_taken, e->b.p);
        write_back(e, e->dirty);
        exit_to(e, pc + in->len, 0, RV_JIT_EXIT_NEXT);
        return;
    }
    write_back(e, e->dirty);
    x86_alu_rr(&e->b, true, X86_CMP, s1, s2);
    uint8_t *taken = x86_jcc32(&e->b, cc[in->op - RV_OP_BEQ]);
    exit_to(e, pc + in->len, 0, RV_JIT_EXIT_NEXT);
    x86_patch_rel32(taken, e->b.p);
    exit_to(e, pc + (int64_t)in->imm, 0, RV_JIT_EXIT_NEXT);
}

/*
 * Emit the out-of-line code of `s`.  Load and store misses call their
 * helper through a thunk (see emit_call_thunk) and go back to the fast
 * path; any failure stores the dirty registers and the pc and leaves
 * through the shared fail_exit.
 */
static void emit_stub(Emit *e, const Stub *s)
{
    X86Buf *b = &e->b;
    unsigned rd = s->in.rd;
    uint8_t *failed;

    x86_patch_rel32(s->jcc_at, b->p);
    if (s->type == STUB_LOAD) {
        unsigned size;
        switch (s->in.op) {
        case RV_OP_LB: case RV_OP_LBU: size = 1; break;
        case RV_OP_LH: case RV_OP_LHU: size = 2; break;
        case RV_OP_LW: case RV_OP_LWU: size = 4; break;
        default: size = 8; break;
        }
        bool sign = s->in.op == RV_OP_LB || s->in.op == RV_OP_LH || s->in.op == RV_OP_LW;
        x86_mov_rr(b, X86_RDI, X86_RBX);        /* rsi holds the address */
        x86_mov_imm(b, X86_RDX, size | (sign ? 16 : 0));
        x86_call_to(b, e->jit->thunk_load);
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
        failed = x86_jcc32(b, X86_CC_NE);
        if (rd != 0 && e->host_of[rd] >= 0) {
            x86_load64(b, e->host_of[rd], x86_mem(X86_RBX, VAL_OFF));
        } else if (rd != 0) {
            x86_load64(b, X86_RAX, x86_mem(X86_RBX, VAL_OFF));
            x86_store64(b, xreg(rd), X86_RAX);
        }
        x86_jmp_to(b, s->resume);
    } else if (s->type == STUB_STORE) {
        unsigned size = s->in.op == RV_OP_SB ? 1 : s->in.op == RV_OP_SH ? 2
                      : s->in.op == RV_OP_SW ? 4 : 8;
        x86_mov_rr(b, X86_RDI, X86_RBX);
        get_x(e, X86_RDX, s->in.rs2);
        x86_mov_imm(b, X86_RCX, size);
        x86_call_to(b, e->jit->thunk_store);
        x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_OK);
        failed = x86_jcc32(b, X86_CC_NE);
        x86_jmp_to(b, s->resume);
    } else {
        /* STUB_RESULT: registers stored and pc set before the call */
        failed = NULL;
    }
    if (failed) {
        x86_patch_rel32(failed, b->p);
        write_back(e, s->dirty);
        if (s->type == STUB_LOAD && rd != 0) {
            /* a stop: the load is done, its value must reach x[rd] */
            x86_alu_ri(b, false, X86_CMP, X86_RAX, RV_JIT_H_STOP);
            uint8_t *skip = x86_jcc32(b, X86_CC_NE);
            x86_load64(b, X86_RCX, x86_mem(X86_RBX, VAL_OFF));
            x86_store64(b, xreg(rd), X86_RCX);
            x86_patch_rel32(skip, b->p);
        }
        pc_value(e, X86_RCX, s->pc);
        x86_store64(b, x86_mem(X86_RBX, PC_OFF), X86_RCX);
    }
    /* eax is EXC or STOP; dl = not retired on an exception, dh = length */
    x86_mov_imm(b, X86_RDX, (e->icount - s->idx) | (uint32_t)s->in.len << 8);
    x86_jmp_to(b, e->jit->fail_exit);
}

enum { T_NO, T_YES, T_END };

/* Translate one instruction; T_NO if the JIT leaves it to the
 * interpreter, T_END if it ends the block. */
static int emit_insn(Emit *e, const RvInsn *in, uint64_t pc, unsigned idx)
{
    RvCpu *cpu = e->cpu;
    bool has_c = cpu->ext & RV_EXT_C;
    uint64_t next = pc + in->len;

    switch (in->op) {
    case RV_OP_LUI:
        set_x_imm(e, in->rd, (uint64_t)(int64_t)in->imm);
        return T_YES;
    case RV_OP_AUIPC:
        set_x_pc(e, in->rd, pc + (int64_t)in->imm);
        return T_YES;
    case RV_OP_JAL: {
        uint64_t target = pc + (int64_t)in->imm;
        if (!has_c && (target & 2)) {
            return T_NO;                        /* misaligned: trap in C */
        }
        set_x_pc(e, in->rd, next);
        if (e->self_loop && target == e->base_pc) {
            loop_back(e);
            return T_END;
        }
        write_back(e, e->dirty);
        exit_to(e, target, 0, RV_JIT_EXIT_NEXT);
        return T_END;
    }
    case RV_OP_JALR:
        if (!has_c) {
            return T_NO;                        /* may trap as misaligned */
        }
        get_x(e, X86_RCX, in->rs1);
        if (in->imm) {
            x86_alu_ri(&e->b, true, X86_ADD, X86_RCX, in->imm);
        }
        x86_alu_ri(&e->b, true, X86_AND, X86_RCX, -2);
        set_x_pc(e, in->rd, next);              /* uses rax only */
        write_back(e, e->dirty);
        if (e->chain) {
            jump_cached(e);
        } else {
            x86_store64(&e->b, x86_mem(X86_RBX, PC_OFF), X86_RCX);
            leave(e, RV_JIT_EXIT_NEXT);
        }
        return T_END;
    case RV_OP_BEQ: case RV_OP_BNE: case RV_OP_BLT: case RV_OP_BGE:
    case RV_OP_BLTU: case RV_OP_BGEU:
        if (!has_c && ((pc + (int64_t)in->imm) & 2)) {
            return T_NO;
        }
        emit_branch(e, in, pc, idx);
        return T_END;
    case RV_OP_LB: emit_load(e, in, pc, idx, 1, true); return T_YES;
    case RV_OP_LH: emit_load(e, in, pc, idx, 2, true); return T_YES;
    case RV_OP_LW: emit_load(e, in, pc, idx, 4, true); return T_YES;
    case RV_OP_LD: emit_load(e, in, pc, idx, 8, false); return T_YES;
    case RV_OP_LBU: emit_load(e, in, pc, idx, 1, false); return T_YES;
    case RV_OP_LHU: emit_load(e, in, pc, idx, 2, false); return T_YES;
    case RV_OP_LWU: emit_load(e, in, pc, idx, 4, false); return T_YES;
    case RV_OP_SB: emit_store(e, in, pc, idx, 1); return T_YES;
    case RV_OP_SH: emit_store(e, in, pc, idx, 2); return T_YES;
    case RV_OP_SW: emit_store(e, in, pc, idx, 4); return T_YES;
    case RV_OP_SD: emit_store(e, in, pc, idx, 8); return T_YES;
    case RV_OP_ADDI: case RV_OP_SLTI: case RV_OP_SLTIU: case RV_OP_XORI:
    case RV_OP_ORI: case RV_OP_ANDI: case RV_OP_SLLI: case RV_OP_SRLI:
    case RV_OP_SRAI: case RV_OP_ADDIW: case RV_OP_SLLIW: case RV_OP_SRLIW:
    case RV_OP_SRAIW:
        if (in->rd != 0) {
            emit_alu_imm(e, in);
        }
        return T_YES;
    case RV_OP_ADD: case RV_OP_SUB: case RV_OP_SLL: case RV_OP_SLT:
    case RV_OP_SLTU: case RV_OP_XOR: case RV_OP_SRL: case RV_OP_SRA:
    case RV_OP_OR: case RV_OP_AND: case RV_OP_ADDW: case RV_OP_SUBW:
    case RV_OP_SLLW: case RV_OP_SRLW: case RV_OP_SRAW:
    case RV_OP_MUL: case RV_OP_MULH: case RV_OP_MULHSU: case RV_OP_MULHU:
    case RV_OP_DIV: case RV_OP_DIVU: case RV_OP_REM: case RV_OP_REMU:
    case RV_OP_MULW: case RV_OP_DIVW: case RV_OP_DIVUW: case RV_OP_REMW:
    case RV_OP_REMUW:
        if (in->rd != 0) {
            emit_alu_rr(e, in);
        }
        return T_YES;
    case RV_OP_FENCE:
        return T_YES;
    case RV_OP_LR_W: case RV_OP_SC_W: case RV_OP_AMOSWAP_W: case RV_OP_AMOADD_W:
    case RV_OP_AMOXOR_W: case RV_OP_AMOAND_W: case RV_OP_AMOOR_W:
    case RV_OP_AMOMIN_W: case RV_OP_AMOMAX_W: case RV_OP_AMOMINU_W:
    case RV_OP_AMOMAXU_W:
    case RV_OP_LR_D: case RV_OP_SC_D: case RV_OP_AMOSWAP_D: case RV_OP_AMOADD_D:
    case RV_OP_AMOXOR_D: case RV_OP_AMOAND_D: case RV_OP_AMOOR_D:
    case RV_OP_AMOMIN_D: case RV_OP_AMOMAX_D: case RV_OP_AMOMINU_D:
    case RV_OP_AMOMAXU_D:
        emit_insn_helper(e, in, pc, idx, (const void *)helper_amo);
        return T_YES;
    case RV_OP_ILLEGAL: case RV_OP_FENCE_I: case RV_OP_ECALL: case RV_OP_EBREAK:
    case RV_OP_MRET: case RV_OP_SRET: case RV_OP_WFI: case RV_OP_SFENCE_VMA:
    case RV_OP_CSRRW: case RV_OP_CSRRS: case RV_OP_CSRRC:
    case RV_OP_CSRRWI: case RV_OP_CSRRSI: case RV_OP_CSRRCI:
        return T_NO;
    default:
        /* F and D: exec-fp.c, which checks mstatus.FS itself */
        emit_insn_helper(e, in, pc, idx, (const void *)helper_fp);
        return T_YES;
    }
}

/* Does the JIT compile `in` at `pc` (the cases where emit_insn gives T_NO)? */
static bool translatable(const Emit *e, const RvInsn *in, uint64_t pc)
{
    bool has_c = e->cpu->ext & RV_EXT_C;

    switch (in->op) {
    case RV_OP_JAL:
    case RV_OP_BEQ: case RV_OP_BNE: case RV_OP_BLT: case RV_OP_BGE:
    case RV_OP_BLTU: case RV_OP_BGEU:
        return has_c || !((pc + (int64_t)in->imm) & 2);
    case RV_OP_JALR:
        return has_c;
    case RV_OP_ILLEGAL: case RV_OP_FENCE_I: case RV_OP_ECALL: case RV_OP_EBREAK:
    case RV_OP_MRET: case RV_OP_SRET: case RV_OP_WFI: case RV_OP_SFENCE_VMA:
    case RV_OP_CSRRW: case RV_OP_CSRRS: case RV_OP_CSRRC:
    case RV_OP_CSRRWI: case RV_OP_CSRRSI: case RV_OP_CSRRCI:
        return false;
    default:
        return true;
    }
}

static bool ends_block(const RvInsn *in)
{
    return in->op == RV_OP_JAL || in->op == RV_OP_JALR ||
           (in->op >= RV_OP_BEQ && in->op <= RV_OP_BGEU);
}

/* The integer registers a template reads and writes (x0 left out); false
 * for instructions done by a helper call, which sees RvCpu.x only. */
static bool template_regs(const RvInsn *in, uint32_t *reads, uint32_t *writes)
{
    uint32_t r1 = 1u << in->rs1, r2 = 1u << in->rs2, d = 1u << in->rd;

    switch (in->op) {
    case RV_OP_LUI: case RV_OP_AUIPC: case RV_OP_JAL:
        *reads = 0, *writes = d;
        break;
    case RV_OP_JALR:
    case RV_OP_LB: case RV_OP_LH: case RV_OP_LW: case RV_OP_LD:
    case RV_OP_LBU: case RV_OP_LHU: case RV_OP_LWU:
    case RV_OP_ADDI: case RV_OP_SLTI: case RV_OP_SLTIU: case RV_OP_XORI:
    case RV_OP_ORI: case RV_OP_ANDI: case RV_OP_SLLI: case RV_OP_SRLI:
    case RV_OP_SRAI: case RV_OP_ADDIW: case RV_OP_SLLIW: case RV_OP_SRLIW:
    case RV_OP_SRAIW:
        *reads = r1, *writes = d;
        break;
    case RV_OP_BEQ: case RV_OP_BNE: case RV_OP_BLT: case RV_OP_BGE:
    case RV_OP_BLTU: case RV_OP_BGEU:
    case RV_OP_SB: case RV_OP_SH: case RV_OP_SW: case RV_OP_SD:
        *reads = r1 | r2, *writes = 0;
        break;
    case RV_OP_ADD: case RV_OP_SUB: case RV_OP_SLL: case RV_OP_SLT:
    case RV_OP_SLTU: case RV_OP_XOR: case RV_OP_SRL: case RV_OP_SRA:
    case RV_OP_OR: case RV_OP_AND: case RV_OP_ADDW: case RV_OP_SUBW:
    case RV_OP_SLLW: case RV_OP_SRLW: case RV_OP_SRAW:
    case RV_OP_MUL: case RV_OP_MULH: case RV_OP_MULHSU: case RV_OP_MULHU:
    case RV_OP_DIV: case RV_OP_DIVU: case RV_OP_REM: case RV_OP_REMU:
    case RV_OP_MULW: case RV_OP_DIVW: case RV_OP_DIVUW: case RV_OP_REMW:
    case RV_OP_REMUW:
        *reads = r1 | r2, *writes = d;
        break;
    case RV_OP_FENCE:
        *reads = *writes = 0;
        break;
    default:
        return false;
    }
    *reads &= ~1u;
    *writes &= ~1u;
    return true;
}

/*
 * Choose the cached registers of the block ins[0..n) (see "register
 * cache"); returns the ones to load at entry: those a template reads
 * before any write, up to the first helper call (which reloads them all).
 */
static uint32_t plan_registers(Emit *e, const RvInsn *ins, unsigned n)
{
    unsigned uses[32] = { 0 };
    uint32_t written = 0, need = 0, all_written = 0;
    bool helper_seen = false;

    for (unsigned i = 0; i < n; i++) {
        uint32_t rd = 0, wr = 0;
        if (!template_regs(&ins[i], &rd, &wr)) {
            helper_seen = true;
            continue;
        }
        for (unsigned r = 1; r < 32; r++) {
            uses[r] += ((rd >> r) & 1) + ((wr >> r) & 1);
        }
        all_written |= wr;
        if (!helper_seen) {
            need |= rd & ~written;
            written |= wr;
        }
    }
    memset(e->host_of, -1, sizeof(e->host_of));
    e->cached = e->dirty = 0;
    for (unsigned k = 0; k < N_CACHE_HOST; k++) {
        unsigned best = 0;
        for (unsigned r = 1; r < 32; r++) {
            if (e->host_of[r] < 0 && uses[r] >= 2 && uses[r] > uses[best]) {
                best = r;
            }
        }
        if (best == 0) {
            break;
        }
        e->host_of[best] = (int8_t)cache_host[k];
        e->cached |= 1u << best;
    }
    if (e->self_loop) {
        /* see loop_back: dirty from the start, so loaded at entry */
        e->dirty = all_written & e->cached;
        need |= e->dirty;
    }
    return need & e->cached;
}

bool rv_jit_translate(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                      unsigned page_left)
{
    TcgCodeCache *cache = &cpu->jit->cache;
    Emit *e = g_new(Emit, 1);
    RvInsn ins[MAX_TB_INSNS];
    unsigned lens[MAX_TB_INSNS];
    unsigned off = 0, idx = 0, n = 0;
    bool ended = false, ok = true;

    e->cpu = cpu;
    e->base_pc = pc;
    e->dpriv = rv_data_priv(cpu);
    e->flags = tb->flags;
    ensure_thunks(cpu->jit);
    e->b = (X86Buf){ cache->ptr, cache->ptr, cache->base + cache->size };
    e->exit = cache->exit;
    e->jit = cpu->jit;
    e->n_stubs = 0;
    tb->kind = RV_TB_CODE;
    e->chain = cpu->jit->chain;
    tb->code = cache->ptr;
    tb->csr = false;

    /* the block's instructions: up to a jump or branch, an instruction
     * left to the interpreter, the page end or MAX_TB_INSNS */
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
        rv_decode(raw, cpu->ext, &ins[n]);
        if (!translatable(e, &ins[n], pc + off)) {
            tb->csr = n == 0 && ins[0].op >= RV_OP_CSRRW && ins[0].op <= RV_OP_CSRRCI;
            break;
        }
        if (cpu->cfg.on_decode) {       /* -d in_asm: as it is translated */
            cpu->cfg.on_decode(cpu->cfg.decode_opaque, pc + off, &ins[n]);
        }
        lens[n] = len;
        off += len;
        if (ends_block(&ins[n++])) {
            break;
        }
    }
    e->planned = n;
    e->self_loop = false;
    if (n > 0 && e->chain) {
        const RvInsn *last = &ins[n - 1];
        uint64_t last_pc = pc + off - last->len;
        e->self_loop = (last->op == RV_OP_JAL ||
                        (last->op >= RV_OP_BEQ && last->op <= RV_OP_BGEU)) &&
                       last_pc + (int64_t)last->imm == pc;
    }
    uint32_t load_at_entry = plan_registers(e, ins, n);
    off = 0;

    /*
     * Entry, from the dispatcher, a chained jump or the jump cache (r12 is
     * this block's pc in every case; cpu->pc may be older): leave at once,
     * storing the pc, if the chunk must end (an interrupt, an exit
     * request) or the block does not fit in the steps left; else take its
     * steps and load the cached registers.
     */
    x86_cmp_mem32_imm8(&e->b, x86_mem(X86_RBX, BREAK_OFF), 0);
    uint8_t *to_early = x86_jcc32(&e->b, X86_CC_NE);
    uint8_t *icount_imm = x86_alu_ri32(&e->b, X86_SUB, X86_R13, 0);
    uint8_t *to_undo = x86_jcc32(&e->b, X86_CC_B);
    load_cached(e, load_at_entry);
    e->body = e->b.p;

    while (idx < n) {
        const RvInsn *in = &ins[idx];
        unsigned len = lens[idx];
        size_t need = INSN_MAX_BYTES + (e->n_stubs + 1) * STUB_MAX_BYTES + EXIT_MAX_BYTES;
        if (!x86_room(&e->b, need)) {
            ok = idx > 0;
            break;
        }
        uint8_t *before = e->b.p;
        int r = emit_insn(e, in, pc + off, idx);
        if (r == T_NO) {
            e->b.p = before;
            break;
        }
        idx++;
        off += len;
        if (r == T_END) {
            ended = true;
            break;
        }
    }
    if (ok && tb->kind == RV_TB_CODE && idx == 0) {
        tb->kind = RV_TB_INTERP;
    }
    if (ok && tb->kind == RV_TB_CODE) {
        e->icount = idx;
        if (!ended) {
            write_back(e, e->dirty);
            exit_to(e, pc + off, 0, RV_JIT_EXIT_NEXT);
        }
        for (unsigned i = 0; i < e->n_stubs; i++) {
            emit_stub(e, &e->stubs[i]);
        }
        /* the entry checks' way out: nothing retired, pc unchanged */
        uint32_t n32 = idx;
        memcpy(icount_imm, &n32, 4);
        x86_patch_rel32(to_undo, e->b.p);
        give_back(e, idx);
        x86_patch_rel32(to_early, e->b.p);
        x86_store64(&e->b, x86_mem(X86_RBX, PC_OFF), X86_R12);
        leave(e, RV_JIT_EXIT_NEXT);
        tb->icount = (uint16_t)idx;
        /* keep blocks 16-byte aligned */
        cache->ptr = (uint8_t *)(((uintptr_t)e->b.p + 15) & ~(uintptr_t)15);
        if (cache->ptr > cache->base + cache->size) {
            cache->ptr = cache->base + cache->size;
        }
    } else {
        tb->code = NULL;
        tb->icount = 0;
    }
    g_free(e);
    return ok;
}

#else /* !__x86_64__ */

bool rv_jit_translate(RvCpu *cpu, RvTb *tb, uint64_t pc, const uint8_t *host,
                      unsigned page_left)
{
    tb->kind = RV_TB_INTERP;
    tb->code = NULL;
    tb->icount = 0;
    return true;
}

#endif
