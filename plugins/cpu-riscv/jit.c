/*
 * jit.c - runs translated blocks: finds or makes the block for cpu->pc,
 * enters it, accounts the instructions it retired, takes the exception
 * it stopped at; keeps the block cache and drops blocks whose guest code
 * is written.
 *
 * The loop mirrors the interpreter's chunk (interp.c) step for step, so
 * rv_cpu_run()'s interrupt, WFI and budget handling is shared: a block
 * runs only if it fits in the steps left (else the interpreter finishes
 * the chunk exactly), an instruction the JIT leaves out is one
 * interpreter step that ends the chunk, as the interpreter's own CSR,
 * xRET, WFI, sfence.vma and trap handling do.
 *
 * Self-modifying code: when a block is made from a page, every write
 * entry for that page leaves the soft TLB, so the next store to it
 * refills the TLB, and the refill (mem.c, tlb_fill) calls
 * rv_jit_note_write, which drops the page's blocks and ends the current
 * block after the store.  Writes by other harts or DMA are seen at this
 * hart's fence.i (which RISC-V requires before executing modified code):
 * each page keeps a copy of the bytes it was translated from, compared
 * with memory the first time one of its blocks is looked up after a
 * fence.i (RvJitPage).  Emptying the whole cache instead cost Linux a
 * full retranslation for every fence.i it issues (one per new
 * executable mapping: about a thousand in a boot).
 */
#include "jit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DEFAULT_CACHE_BYTES (32u << 20)
/* One block per this many bytes of code cache, on average. */
#define BYTES_PER_TB 128
/* A block is compiled the DEFAULT_HOT-th time it runs; before that the
 * interpreter runs it (see find_tb) */
#define DEFAULT_HOT 8
/* Below this much free space the cache is emptied before translating. */
#define MIN_FREE_BYTES (64 * 1024)

static const RvTb interp_tb = { .kind = RV_TB_INTERP };

static inline unsigned tb_hash(uint64_t pa, uint32_t flags)
{
    uint64_t h = (pa >> 1) ^ ((uint64_t)flags << 27);
    h ^= h >> RV_JIT_HASH_BITS;
    return (unsigned)h & (RV_JIT_HASH_SIZE - 1);
}

bool rv_jit_enable(RvCpu *cpu, size_t cache_bytes, bool split_wx, GError **errp)
{
#if !defined(__x86_64__)
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "RISC-V JIT: no code generator for this host (x86-64 only)");
    return false;
#else
    const char *why = NULL;
    RvJit *j;

    if (cpu->jit) {
        return true;
    }
    if (cache_bytes == 0) {
        cache_bytes = DEFAULT_CACHE_BYTES;
    }
    if (cache_bytes > (1ull << 30)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "tb-size: at most 1024 MiB of translation cache");
        return false;
    }
    j = g_new0(RvJit, 1);
    if (!tcg_cache_init(&j->cache, cache_bytes, split_wx, &why)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "RISC-V JIT: %s", why);
        g_free(j);
        return false;
    }
    j->max_tbs = (unsigned)(j->cache.size / BYTES_PER_TB);
    /* TESSERA_JIT_HOT=N overrides the threshold, for tuning; with -d
     * in_asm/op/op_opt/out_asm every block is compiled the first time it
     * runs, so that the log shows the code as it is met */
    const char *hot = getenv("TESSERA_JIT_HOT");
    j->hot = hot ? (unsigned)atoi(hot) : DEFAULT_HOT;
    if (cpu->cfg.on_decode || cpu->cfg.on_jit_ir || cpu->cfg.on_jit_code) {
        j->hot = 0;
    }
    j->tbs = g_new(RvTb, j->max_tbs);
    j->hash = g_new0(RvTb *, RV_JIT_HASH_SIZE);
    j->pages = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    j->chain = true;
    cpu->jit = j;
    cpu->jcache_used = true;            /* g_malloc0'd: entries of 0 */
    rv_jump_cache_clear(cpu);
    return true;
#endif
}

void rv_jit_free(RvCpu *cpu)
{
    RvJit *j = cpu->jit;
    if (!j) {
        return;
    }
    tcg_cache_destroy(&j->cache);
    g_hash_table_destroy(j->pages);
    g_free(j->hash);
    g_free(j->tbs);
    g_free(j->scratch);
    g_free(j);
    cpu->jit = NULL;
}

void rv_jit_flush(RvCpu *cpu)
{
    RvJit *j = cpu->jit;
    if (!j) {
        return;
    }
    tcg_cache_reset(&j->cache);
    j->n_tbs = 0;
    memset(j->hash, 0, sizeof(RvTb *) * RV_JIT_HASH_SIZE);
    g_hash_table_remove_all(j->pages);
    rv_jump_cache_clear(cpu);
    j->flushes++;
}

static void hash_remove(RvJit *j, RvTb *tb)
{
    RvTb **pp = &j->hash[tb_hash(tb->pa, tb->flags)];
    while (*pp) {
        if (*pp == tb) {
            *pp = tb->hash_next;
            return;
        }
        pp = &(*pp)->hash_next;
    }
}

void rv_jit_set_chaining(RvCpu *cpu, bool on)
{
    if (cpu->jit && cpu->jit->chain != on) {
        cpu->jit->chain = on;
        rv_jit_flush(cpu);          /* existing blocks were made the other way */
    }
}

/* Forget the blocks made from `page` (and the page itself). */
static void drop_page(RvCpu *cpu, RvJitPage *page)
{
    RvJit *j = cpu->jit;

    for (RvTb *tb = page->tbs; tb; tb = tb->page_next) {
        tb->valid = false;
        hash_remove(j, tb);
        j->invalidated++;
    }
    rv_jump_cache_clear(cpu);
    g_hash_table_remove(j->pages, &page->key);      /* frees it */
}

void rv_jit_note_write(RvCpu *cpu, uint64_t ppage)
{
    RvJit *j = cpu->jit;
    uint64_t key = ppage >> RV_PAGE_BITS;
    RvJitPage *page;

    if (!j || !(page = g_hash_table_lookup(j->pages, &key))) {
        return;
    }
    drop_page(cpu, page);
    /* the block running now may be one of them: end it after the store */
    __atomic_store_n(&cpu->break_chunk, 1, __ATOMIC_RELAXED);
}

void rv_jit_fence_i(RvCpu *cpu)
{
    RvJit *j = cpu->jit;

    if (j) {
        j->fence_gen++;
        /* cross-page entries must go through find_tb, which checks */
        rv_jump_cache_clear(cpu);
    }
}

/* Stores to `ppage` must take the slow path from now on (see top). */
static void protect_page(RvCpu *cpu, uint64_t ppage)
{
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned i = 0; i < RV_TLB_SIZE; i++) {
            RvTlbEntry *e = &cpu->tlb[p][i];
            if (e->tag[RV_ACC_WRITE] != RV_TLB_EMPTY && e->ppage == ppage) {
                e->tag[RV_ACC_WRITE] = RV_TLB_EMPTY;
            }
        }
    }
}

/*
 * TESSERA_PERFMAP=1 in the environment writes /tmp/perf-<pid>.map, the
 * file `perf report` reads to name code it finds in anonymous memory: one
 * line per block, named after the guest pc it was translated at.  A
 * profiling aid for developers; stale entries after a cache flush are
 * left for perf to sort out (it takes the newest).
 */
static FILE *perf_map(void)
{
    static FILE *f;
    static gsize once;

    if (g_once_init_enter(&once)) {
        if (getenv("TESSERA_PERFMAP")) {
            char path[64];
            snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
            f = fopen(path, "w");
            if (f) {
                setvbuf(f, NULL, _IOLBF, 0);
            }
        }
        g_once_init_leave(&once, 1);
    }
    return f;
}

/* Make the block for pc (physical pa), flushing the cache if it is full. */
static RvTb *translate(RvCpu *cpu, uint64_t pc, uint64_t pa, uint32_t flags,
                       const uint8_t *host, bool cold)
{
    RvJit *j = cpu->jit;
    unsigned page_left = (unsigned)(RV_PAGE_SIZE - (pc & (RV_PAGE_SIZE - 1)));

    RvJitPage *fresh = NULL;
    uint64_t key = pa >> RV_PAGE_BITS;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (j->n_tbs >= j->max_tbs || tcg_cache_free(&j->cache) < MIN_FREE_BYTES) {
            rv_jit_flush(cpu);
        }
        RvJitPage *page = g_hash_table_lookup(j->pages, &key);
        if (!page && !fresh) {
            /*
             * The page's copy is taken before its first block is
             * translated, never after: another hart may be rewriting the
             * code meanwhile, and a copy newer than the block would let
             * the block pass the check at the next fence.i (found by the
             * smc-stress test with thread=multi).  A copy older than the
             * block only costs a retranslation.
             */
            fresh = g_new(RvJitPage, 1);
            fresh->key = key;
            fresh->tbs = NULL;
            fresh->checked_gen = j->fence_gen;
            memcpy(fresh->bytes, host - (pc & (RV_PAGE_SIZE - 1)), RV_PAGE_SIZE);
        }
        RvTb *tb = &j->tbs[j->n_tbs];
        tb->pa = pa;
        tb->vpc = pc;
        tb->flags = flags;
        if (cold) {
            rv_jit_scan(cpu, tb, pc, host, page_left);
        } else if (!rv_jit_translate(cpu, tb, pc, host, page_left)) {
            rv_jit_flush(cpu);
            continue;
        }
        if (tb->kind == RV_TB_CODE && perf_map()) {
            fprintf(perf_map(), "%" PRIxPTR " %zx rv64@%" PRIx64 "\n",
                    (uintptr_t)tcg_cache_rx(&j->cache, tb->code),
                    (size_t)(j->cache.ptr - tb->code), pc);
        }
        if (tb->kind == RV_TB_CODE && cpu->cfg.on_jit_code) {   /* -d out_asm */
            cpu->cfg.on_jit_code(cpu->cfg.jit_log_opaque, pc,
                                 tcg_cache_rx(&j->cache, tb->code),
                                 (size_t)(j->cache.ptr - tb->code));
        }
        j->n_tbs++;
        j->translated++;
        tb->valid = true;
        unsigned h = tb_hash(pa, flags);
        tb->hash_next = j->hash[h];
        j->hash[h] = tb;

        if (!page) {
            page = fresh;
            fresh = NULL;
            g_hash_table_insert(j->pages, &page->key, page);
            protect_page(cpu, pa & RV_PAGE_MASK);
        }
        g_free(fresh);
        tb->page = page;
        tb->page_next = page->tbs;
        page->tbs = tb;
        return tb;
    }
    g_free(fresh);
    return (RvTb *)&interp_tb;
}

/* The block for cpu->pc in the current mode, or interp_tb when the
 * instruction must go through the interpreter (fetch needs the slow path:
 * TLB miss, fault, I/O, PMP finer than a page). */
static RvTb *find_tb(RvCpu *cpu, bool count)
{
    RvJit *j = cpu->jit;
    uint64_t pc = cpu->pc, vpage = pc & RV_PAGE_MASK;
    unsigned priv = cpu->priv;
    uint32_t flags = priv | rv_data_priv(cpu) << 2;

    /* the jump cache first: its entries hold only while nothing they
     * depend on changed (see rv-state.h), and it is one cache line where
     * the hash chain is two misses or more */
    RvJumpCacheEntry *c = &cpu->jcache[rv_jump_cache_index(pc)];
    if (c->vpc == pc && c->flags == flags) {
        RvTb *hit = c->tb;
        if (hit->kind != RV_TB_COLD) {
            return hit;
        }
        if (!count || (unsigned)hit->heat + 1 < j->hot) {
            hit->heat += count;
            return hit;
        }
        /* its compiling run: the way below (it counts that run) */
    }
    RvTlbEntry *e = rv_tlb_entry(cpu, priv, RV_ACC_EXEC, pc);

    if (unlikely(e->tag[RV_ACC_EXEC] != vpage)) {
        /* refill the entry (no exception is taken here: a fault is left
         * to the interpreter, which fetches again and raises it) */
        uint64_t fpa;
        void *host;
        if (!rv_access(cpu, pc, 2, RV_ACC_EXEC, &fpa, &host) ||
            e->tag[RV_ACC_EXEC] != vpage) {
            return (RvTb *)&interp_tb;
        }
    }
    uint64_t pa = e->ppage | (pc & (RV_PAGE_SIZE - 1));
    const uint8_t *host = (const uint8_t *)(uintptr_t)(pc + e->host_minus_va);
    RvTb *tb;
    for (tb = j->hash[tb_hash(pa, flags)]; tb; tb = tb->hash_next) {
        if (tb->pa == pa && tb->flags == flags) {
            break;
        }
    }
    if (tb && unlikely(tb->page->checked_gen != j->fence_gen)) {
        /* first use since a fence.i: is the page still what we translated? */
        RvJitPage *page = tb->page;
        if (memcmp(page->bytes, host - (pc & (RV_PAGE_SIZE - 1)), RV_PAGE_SIZE) == 0) {
            page->checked_gen = j->fence_gen;
        } else {
            drop_page(cpu, page);
            tb = NULL;
        }
    }
    if (tb && tb->kind == RV_TB_COLD && count && ++tb->heat >= j->hot) {
        /* run often enough to be worth compiling: a new entry replaces it */
        tb->valid = false;
        hash_remove(j, tb);
        tb = translate(cpu, pc, pa, flags, host, false);
    }
    if (!tb) {
        /* first time here: boot code mostly runs a few times only, and
         * compiling costs as much as interpreting it dozens of times */
        tb = translate(cpu, pc, pa, flags, host, j->hot > 0);
    }
    if (tb->kind == RV_TB_CODE || tb->kind == RV_TB_COLD) {
        /* let translated code and this lookup find it next time (jump
         * cache, see rv-state.h); a block not compiled yet sends
         * translated code back here */
        c->vpc = pc;
        c->flags = flags;
        c->code = tcg_cache_rx(&j->cache, tb->kind == RV_TB_CODE ? tb->code
                                                                 : j->cold_entry);
        c->tb = tb;
        cpu->jcache_used = true;
    }
    return tb;
}

uint64_t rv_jit_exec_chunk(RvCpu *cpu, uint64_t budget)
{
    RvJit *j = cpu->jit;
    uint64_t n = 0;

    __atomic_store_n(&cpu->break_chunk, 0, __ATOMIC_RELAXED);
    while (n < budget && likely(!__atomic_load_n(&cpu->break_chunk, __ATOMIC_RELAXED))) {
        RvTb *tb = find_tb(cpu, true);
        if (tb->kind == RV_TB_COLD) {
            uint64_t want = MIN(tb->icount, budget - n);
            uint64_t ran = rv_interp_exec_chunk(cpu, want);
            n += ran;
            if (ran < want) {
                break;                  /* a trap or an exit request */
            }
            continue;
        }
        if (tb->kind == RV_TB_CODE && tb->icount > budget - n && n > 0) {
            break;      /* the next chunk runs it whole, not interpreted */
        }
        if (tb->kind != RV_TB_CODE || tb->icount > budget - n) {
            n += rv_interp_exec_chunk(cpu, tb->kind == RV_TB_CODE ? budget - n : 1);
            /*
             * The interpreter ends its chunk after a CSR instruction so
             * that an interrupt it enabled is taken next.  Linux runs
             * hundreds of thousands of them in a boot (csrs/csrc sstatus
             * around every lock): go on unless one is now pending and
             * enabled, which rv_cpu_run would take between chunks.
             */
            if (tb->kind == RV_TB_INTERP && tb->csr && !rv_cpu_has_work(cpu)) {
                continue;
            }
            break;
        }
        uint64_t avail = budget - n;
        TcgExit x = tcg_cache_enter(&j->cache, cpu, tcg_cache_rx(&j->cache, tb->code),
                                    avail, cpu->pc);
        uint64_t retired = avail - (x.result >> 2);
        n += retired;
        cpu->instret += retired;
        j->insns += retired;
        switch (x.result & 3) {
        case RV_JIT_EXIT_NEXT:
            if (x.slot && n < budget &&
                !__atomic_load_n(&cpu->break_chunk, __ATOMIC_RELAXED)) {
                /* a direct jump inside one page: link it to its target */
                uint64_t flushes = j->flushes;
                RvTb *next = find_tb(cpu, false);
                if (next->kind == RV_TB_CODE && j->flushes == flushes) {
                    /* the slot's address is the executable view's */
                    int32_t rel = (int32_t)(tcg_cache_rx(&j->cache, next->code) -
                                            (x.slot + 4));
                    memcpy(tcg_cache_rw(&j->cache, x.slot), &rel, 4);
                    j->chained++;
                }
            }
            continue;
        case RV_JIT_EXIT_EXC:
            cpu->x[0] = 0;
            rv_take_exception(cpu);
            n++;
            return n;
        default:    /* STOP */
            return n;
        }
    }
    return n;
}
