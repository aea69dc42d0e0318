/*
 * smc-stress.S - four harts rewrite code in RAM and run it, doing what
 * RISC-V asks of a correct program, and count every call that did not
 * return what the code it should have run returns.
 *
 * What the JIT promises (plugins/accel-tcg/jit/README.md): a hart's own
 * stores to translated code are seen at once; stores by other harts at
 * this hart's next fence.i.  The interpreter must behave the same.
 *
 * Phases, hart 0 the writer, harts 1-3 the readers:
 *
 * 1. Handshake (N_HS generations).  Hart 0 rewrites shared_fn (its own
 *    page) with one of six sequences of 4 to 16 bytes that return a
 *    known value: addi+ret, c.li+c.jr, lui+addiw+ret, a 32-bit addi at a
 *    2-byte offset between compressed ones, addi+j+skipped addi+ret, and
 *    c.li+c.addi+c.jr.  It writes only the bytes the sequence needs (the
 *    tail keeps older code), with one of eight kinds of store (sw, sd,
 *    sh, sb, amoswap.w, fsd, lr/sc, sw backwards), then fence rw,rw, the
 *    expected value, and publishes the generation with a store-release
 *    (amoswap.d.rl or fence rw,w + sd), and waits for every reader to
 *    acknowledge it.  A reader loads the generation with acquire, checks
 *    it is the next one, runs fence.i, calls shared_fn twice and compares
 *    both results with the expected value.
 * 2. Racy (N_ROUNDS bursts).  Hart 0 rewrites the immediate of racy_fn
 *    (`addi a0, zero, gen & 0x7ff; ret`, one aligned sw) and publishes
 *    the generation without waiting, 1 to 8 times in a burst with random
 *    pauses (0 to thousands of loop turns), then waits until every reader
 *    has checked the burst's last generation.  Readers call racy_fn over
 *    and over while it is being rewritten, which may run old or new code,
 *    but a call after acquiring generation G and a fence.i must return G
 *    or later (and not later than the generation read again after the
 *    call, plus one): older code there is a stale translation.  A reader
 *    that has checked one generation IDLE_CHECKS times sleeps until the
 *    next.
 * 3. Throughout, every hart also (a) rewrites its own slot in page B
 *    (shared by the four harts' slots) and calls it after fence.i, and
 *    again without fence.i (the JIT's own-store promise); (b) runs its own
 *    routines in page C, which patch an instruction of page C that the
 *    same routine then executes: straight after fence.i, straight after
 *    the store with no fence.i, through a jal to a function in the page,
 *    and in a loop that rewrites its own first instruction every turn
 *    (with and without fence.i; the latter is a self-looping block that
 *    stores into itself).
 *
 * At the end hart 0 prints a line per hart ("SMC-STRESS hart=H
 * checks=N racy=N fails=N"), a "SMC-STRESS FAIL hart=H test=NAME gen=G
 * got=X want=Y" line for the first failure of each hart that had one,
 * then "SMC-STRESS ok gens=N racy-gens=N" if nothing failed, and powers
 * off (exit status 0, or 1 after a failure).  A trap, or a hart that
 * stops answering for 30 s, is a failure too.
 *
 * Waiting harts spin a little, then sleep in WFI (interrupts globally
 * off, mie.MSIE and MTIE on) until the other side's CLINT software
 * interrupt or a 10 ms timer: with thread=single the sleeping hart gives
 * its slice up instead of spinning through it.
 *
 * Run with -smp 4 (more harts park; fewer make hart 0 time out).
 */
#include "guest.h"

#define NHARTS      4
#ifndef N_HS
#define N_HS        4000        /* handshake generations */
#endif
#ifndef N_ROUNDS
#define N_ROUNDS    2500        /* racy bursts of 1..8 generations */
#endif
#define OWN_EVERY   4           /* own-store tests: every 4th handshake */
#define OWN_EVERY_ROUNDS 16     /* hart 0: every 16th racy burst */
#define OWN_EVERY_CHECKS 256    /* readers: every 256th racy check */
#define IDLE_CHECKS 64          /* racy checks of one generation, then sleep */
#define SPIN        500         /* polls before sleeping */
#define TIMEOUT     300000000   /* 30 s of mtime (10 MHz) */
#define WAKE_TICKS  100000      /* a sleeping hart looks again after 10 ms */
#define MIE_MSIE    0x8
#define MIE_MTIE    0x80
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)

#define RET_WORD    0x00008067  /* jalr zero, 0(ra) */
#define C_JR_RA     0x8082
#define C_NOP       0x0001
#define J_PLUS_8    0x0080006f  /* jal zero, .+8 */
#define ADDI_A0_1   0x00150513  /* addi a0, a0, 1 */

/* Per-hart record: rec + REC_SIZE * hart. */
#define R_FAILS     0
#define R_TEST      8           /* the first failure: test, gen (for a
                                 * timeout: the hart waited for), got, want */
#define R_GEN       16
#define R_GOT       24
#define R_WANT      32
#define R_CHECKS    40          /* comparisons made */
#define R_RACY      48          /* of which in the racy phase */
#define R_DONE      56          /* the reader has finished */
#define R_ACK       64          /* generation acknowledged (both phases) */
#define R_K         72          /* counter for the own/page values */
#define REC_SIZE    128

/* Tests (names in test_names). */
#define T_SHARED        1
#define T_SHARED_AGAIN  2
#define T_SHARED_OWN    3
#define T_ORDER         4
#define T_RACY          5
#define T_RACY_OWN      6
#define T_OWN           7
#define T_OWN_NOFENCE   8
#define T_PAGE_FENCE    9
#define T_PAGE_NOFENCE  10
#define T_PAGE_CALL     11
#define T_LOOP_FENCE    12
#define T_LOOP_NOFENCE  13
#define T_TRAP          14
#define T_TIMEOUT       15
#define T_COUNT         16

    .option norelax

/* ---- start: lib.S's _start calls main on every hart ---------------------- */

    .text
    .globl main
main:
    csrr s0, mhartid
    li t0, NHARTS
    bgeu s0, t0, park
    call hart_setup
    beqz s0, writer
    j reader

/* sp, mtvec, FP on, s3 = this hart's record; s1 = random seed. */
hart_setup:
    lla sp, stacks
    addi t0, s0, 1
    slli t0, t0, 12
    add sp, sp, t0
    lla t0, smc_trap
    csrw mtvec, t0
    li t0, MSTATUS_FS
    csrs mstatus, t0
    csrw fcsr, zero
    li t0, MIE_MSIE | MIE_MTIE
    csrs mie, t0
    lla s3, rec
    slli t0, s0, 7
    add s3, s3, t0
    li s1, 0x9e3779b97f4a7c15
    addi t0, s0, 1
    mul s1, s1, t0
    ret

/* A hart with nothing left to do sleeps for good. */
park:
    csrw mie, zero
1:  wfi
    j 1b

/* ---- small helpers ------------------------------------------------------- */

/* rand: xorshift64 on s1; a0 = the new value.  Clobbers t0. */
rand:
    slli t0, s1, 13
    xor s1, s1, t0
    srli t0, s1, 7
    xor s1, s1, t0
    slli t0, s1, 17
    xor s1, s1, t0
    mv a0, s1
    ret

/* check(a0 = got, a1 = want, a2 = gen, a3 = test): count, and record the
 * first mismatch.  fail: the same without comparing.  Clobber t0. */
check:
    ld t0, R_CHECKS(s3)
    addi t0, t0, 1
    sd t0, R_CHECKS(s3)
    bne a0, a1, fail
    ret
fail:
    ld t0, R_FAILS(s3)
    bnez t0, 1f
    sd a3, R_TEST(s3)
    sd a2, R_GEN(s3)
    sd a0, R_GOT(s3)
    sd a1, R_WANT(s3)
1:  addi t0, t0, 1
    sd t0, R_FAILS(s3)
    ret

/* Encoders: a0 = immediate -> a0 = instruction bits.  Clobber t0, t2. */
enc_addi:                       /* addi a0, zero, imm12 */
    slli a0, a0, 52
    srli a0, a0, 32
    li t0, 0x513
    or a0, a0, t0
    ret
enc_cli:                        /* c.li a0, imm6 */
    li t0, 0x4501
    j 1f
enc_caddi:                      /* c.addi a0, imm6 (imm6 != 0) */
    li t0, 0x0501
1:  andi t2, a0, 0x20
    slli t2, t2, 7
    or t0, t0, t2
    andi a0, a0, 0x1f
    slli a0, a0, 2
    or a0, a0, t0
    ret

/* ipi(a0 = hart): raise its software interrupt after this hart's earlier
 * memory writes.  Clobbers t0, t1. */
ipi:
    fence w, o
    li t0, CLINT_BASE
    slli t1, a0, 2
    add t0, t0, t1
    li t1, 1
    sw t1, 0(t0)
    ret

/*
 * wait_for(a0 = address, a1 = value, a2 = 0: until *a0 != a1, 1: until
 * *a0 == a1): returns a0 = the value (loaded with acquire), a1 = 1 if
 * TIMEOUT passed first, else 0.  Spins SPIN times, then clears its own
 * software interrupt, looks again and sleeps until an IPI or WAKE_TICKS.
 * Clobbers t0, t3-t6.
 */
wait_for:
    mv t5, zero                 /* deadline, read at the first sleep */
1:  li t4, SPIN
2:  ld t3, 0(a0)
    fence r, rw
    xor t6, t3, a1
    seqz t6, t6
    beq t6, a2, 9f
    addi t4, t4, -1
    bnez t4, 2b
    li t6, CLINT_BASE           /* msip[hart] = 0, then look again */
    slli t4, s0, 2
    add t6, t6, t4
    sw zero, 0(t6)
    fence iorw, iorw
    ld t3, 0(a0)
    fence r, rw
    xor t6, t3, a1
    seqz t6, t6
    beq t6, a2, 9f
    li t6, CLINT_MTIME
    ld t4, 0(t6)
    bnez t5, 3f
    li t5, TIMEOUT
    add t5, t5, t4
3:  bgeu t4, t5, 8f
    li t0, WAKE_TICKS           /* mtimecmp[hart] = now + WAKE_TICKS */
    add t4, t4, t0
    li t6, CLINT_MTIMECMP
    slli t0, s0, 3
    add t6, t6, t0
    sd t4, 0(t6)
    wfi
    j 1b
8:  mv a0, t3
    li a1, 1
    ret
9:  mv a0, t3
    li a1, 0
    ret

/*
 * write_code(a0 = destination, a1 = source buffer of 16 bytes, a2 = bytes
 * to write (4..16, a multiple of 4), a3 = kind of store 0..7).  Kinds 1
 * and 5 write all 16 bytes (the buffer holds the destination's own bytes
 * past a2).  Clobbers t0-t4, ft0.
 */
write_code:
    li t0, 1
    beq a3, t0, wc_sd
    li t0, 2
    beq a3, t0, wc_sh
    li t0, 3
    beq a3, t0, wc_sb
    li t0, 4
    beq a3, t0, wc_amo
    li t0, 5
    beq a3, t0, wc_fsd
    li t0, 6
    beq a3, t0, wc_sc
    li t0, 7
    beq a3, t0, wc_back
wc_sw:
    mv t1, zero
1:  add t2, a1, t1
    lw t3, 0(t2)
    add t2, a0, t1
    sw t3, 0(t2)
    addi t1, t1, 4
    blt t1, a2, 1b
    ret
wc_sd:
    ld t3, 0(a1)
    sd t3, 0(a0)
    ld t3, 8(a1)
    sd t3, 8(a0)
    ret
wc_sh:
    mv t1, zero
1:  add t2, a1, t1
    lh t3, 0(t2)
    add t2, a0, t1
    sh t3, 0(t2)
    addi t1, t1, 2
    blt t1, a2, 1b
    ret
wc_sb:
    mv t1, zero
1:  add t2, a1, t1
    lb t3, 0(t2)
    add t2, a0, t1
    sb t3, 0(t2)
    addi t1, t1, 1
    blt t1, a2, 1b
    ret
wc_amo:
    mv t1, zero
1:  add t2, a1, t1
    lw t3, 0(t2)
    add t2, a0, t1
    amoswap.w zero, t3, (t2)
    addi t1, t1, 4
    blt t1, a2, 1b
    ret
wc_fsd:
    fld ft0, 0(a1)
    fsd ft0, 0(a0)
    fld ft0, 8(a1)
    fsd ft0, 8(a0)
    ret
wc_sc:
    mv t1, zero
1:  add t2, a1, t1
    lw t3, 0(t2)
    add t2, a0, t1
2:  lr.w t4, (t2)
    sc.w t4, t3, (t2)
    bnez t4, 2b
    addi t1, t1, 4
    blt t1, a2, 1b
    ret
wc_back:
    addi t1, a2, -4
1:  add t2, a1, t1
    lw t3, 0(t2)
    add t2, a0, t1
    sw t3, 0(t2)
    addi t1, t1, -4
    bgez t1, 1b
    ret

/* next_small: a0 = the next value of this hart's own/page sequence, in
 * -30..30 and never the previous one; a1 = the counter.  Clobbers t0. */
next_small:
    ld a1, R_K(s3)
    addi a1, a1, 1
    sd a1, R_K(s3)
    li t0, 7
    mul a0, a1, t0
    li t0, 61
    remu a0, a0, t0
    addi a0, a0, -30
    ret

/* small_word(a0 = value in -31..31, a1 = counter): four bytes returning
 * it at a0: `addi a0, zero, v` on even counters, `c.li a0, v-1;
 * c.addi a0, 1` on odd ones.  Clobbers t0-t2. */
small_word:
    andi t1, a1, 1
    bnez t1, 1f
    j enc_addi
1:  addi sp, sp, -16
    sd ra, 8(sp)
    sd a0, 0(sp)
    addi a0, a0, -1
    call enc_cli
    mv t1, a0
    li a0, 1
    call enc_caddi
    slli a0, a0, 16
    or a0, a0, t1
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/* ---- own slot (page B): the hart's own stores -------------------------- */

own_test:
    addi sp, sp, -48
    sd ra, 0(sp)
    sd s4, 8(sp)
    sd s5, 16(sp)
    sd s6, 24(sp)
    lla s4, own_slots
    slli t0, s0, 6
    add s4, s4, t0
    /* rewrite it one of four ways, fence.i, call */
    call next_small
    mv s5, a0
    mv s6, a1
    andi t1, a1, 3
    beqz t1, 1f
    li t0, 1
    beq t1, t0, 2f
    li t0, 2
    beq t1, t0, 3f
    call enc_addi               /* 3: amoswap.w */
    amoswap.w zero, a0, (s4)
    j 4f
1:  call enc_addi               /* 0: sw */
    sw a0, 0(s4)
    j 4f
2:  mv a1, s6                   /* 1: two compressed ones, sw */
    ori a1, a1, 1
    call small_word
    sw a0, 0(s4)
    j 4f
3:  call enc_addi               /* 2: addi and ret, sd */
    li t0, RET_WORD
    slli t0, t0, 32
    or a0, a0, t0
    sd a0, 0(s4)
4:  fence.i
    jalr s4
    mv a1, s5
    mv a2, s6
    li a3, T_OWN
    call check
    /* again without fence.i: the JIT promises its own stores at once */
    call next_small
    mv s5, a0
    mv s6, a1
    call small_word
    sw a0, 0(s4)
    jalr s4
    mv a1, s5
    mv a2, s6
    li a3, T_OWN_NOFENCE
    call check
    ld ra, 0(sp)
    ld s4, 8(sp)
    ld s5, 16(sp)
    ld s6, 24(sp)
    addi sp, sp, 48
    ret

/* ---- page C: code that patches its own page ----------------------------- */

/* page_one(a0 = routine index 0..2, a3 = test): a new value through one of
 * pc_fence/pc_nofence/pc_call.  Uses s4 (page C routines), s5, s6. */
page_one:
    addi sp, sp, -16
    sd ra, 0(sp)
    slli a0, a0, 3
    add t0, s4, a0
    ld s7, 0(t0)
    sd a3, 8(sp)
    call next_small
    mv s5, a0
    mv s6, a1
    call small_word
    mv a1, a0
    jalr s7
    mv a1, s5
    mv a2, s6
    ld a3, 8(sp)
    call check
    ld ra, 0(sp)
    addi sp, sp, 16
    ret

/* page_loop(a0 = routine index 3 or 4, a3 = test): n turns from imm0;
 * the sum must be n * imm0 + n * (n - 1) / 2. */
page_loop:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd a3, 8(sp)
    slli a0, a0, 3
    add t0, s4, a0
    ld s7, 0(t0)
    call rand
    li t0, 1000
    remu s5, a0, t0             /* imm0 */
    srli a0, a0, 32
    andi s6, a0, 15
    addi s6, s6, 1              /* n, 1..16 */
    mv a0, s5
    call enc_addi
    mv a1, a0
    mv a2, s6
    jalr s7
    mul a1, s6, s5              /* want */
    addi t0, s6, -1
    mul t0, t0, s6
    srli t0, t0, 1
    add a1, a1, t0
    mv a2, s6
    ld a3, 8(sp)
    call check
    ld ra, 0(sp)
    addi sp, sp, 16
    ret

page_tests:
    addi sp, sp, -48
    sd ra, 0(sp)
    sd s4, 8(sp)
    sd s5, 16(sp)
    sd s6, 24(sp)
    sd s7, 32(sp)
    lla s4, pagec_tab
    li t0, 5 * 8
    mul t0, t0, s0
    add s4, s4, t0
    li a0, 0
    li a3, T_PAGE_FENCE
    call page_one
    li a0, 1
    li a3, T_PAGE_NOFENCE
    call page_one
    li a0, 2
    li a3, T_PAGE_CALL
    call page_one
    li a0, 3
    li a3, T_LOOP_NOFENCE
    call page_loop
    li a0, 4
    li a3, T_LOOP_FENCE
    call page_loop
    ld ra, 0(sp)
    ld s4, 8(sp)
    ld s5, 16(sp)
    ld s6, 24(sp)
    ld s7, 32(sp)
    addi sp, sp, 48
    ret

/* Both kinds of own-store test. */
own_tests:
    addi sp, sp, -16
    sd ra, 0(sp)
    call own_test
    call page_tests
    ld ra, 0(sp)
    addi sp, sp, 16
    ret

/* ---- hart 0: the writer --------------------------------------------------- */

/*
 * s2 generation, s4 shared_fn's current value, s5 variant, s6 random
 * bits, s7 the new value, s8 bytes to write; the 16-byte buffer at 0(sp).
 */
writer:
    addi sp, sp, -32
    li s2, 0
    li s4, 0                    /* shared_fn starts as `li a0, 0; ret` */
hs_next:
    addi s2, s2, 1
hs_pick:
    call rand
    li t0, 6
    remu s5, a0, t0
    call rand
    mv s6, a0
    lla t0, shared_fn            /* the buffer starts as the code now */
    ld t1, 0(t0)
    sd t1, 0(sp)
    ld t1, 8(t0)
    sd t1, 8(sp)
    beqz s5, hs_v0
    li t0, 1
    beq s5, t0, hs_v1
    li t0, 2
    beq s5, t0, hs_v2
    li t0, 3
    beq s5, t0, hs_v3
    li t0, 4
    beq s5, t0, hs_v4
hs_v5:                          /* c.li a0, x; c.addi a0, y; c.jr ra; c.nop */
    slli a0, s6, 58
    srai a0, a0, 58
    mv s7, a0
    call enc_cli
    sh a0, 0(sp)
    srli a0, s6, 8
    slli a0, a0, 58
    srai a0, a0, 58
    bnez a0, 1f
    li a0, 1
1:  add s7, s7, a0
    call enc_caddi
    sh a0, 2(sp)
    li t0, C_JR_RA
    sh t0, 4(sp)
    li t0, C_NOP
    sh t0, 6(sp)
    li s8, 8
    j hs_write
hs_v0:                          /* addi a0, zero, v; ret */
    slli s7, s6, 52
    srai s7, s7, 52
    mv a0, s7
    call enc_addi
    sw a0, 0(sp)
    li t0, RET_WORD
    sw t0, 4(sp)
    li s8, 8
    j hs_write
hs_v1:                          /* c.li a0, v; c.jr ra */
    slli s7, s6, 58
    srai s7, s7, 58
    mv a0, s7
    call enc_cli
    sh a0, 0(sp)
    li t0, C_JR_RA
    sh t0, 2(sp)
    li s8, 4
    j hs_write
hs_v2:                          /* lui a0, hi; addiw a0, a0, lo; ret */
    addiw s7, s6, 0
    li t0, 0x800
    add a0, s7, t0
    srai a0, a0, 12
    slli a0, a0, 44
    srli a0, a0, 32
    ori a0, a0, 0x537
    sw a0, 0(sp)
    slli a0, s7, 52
    srli a0, a0, 32
    li t0, 0x5051b
    or a0, a0, t0
    sw a0, 4(sp)
    li t0, RET_WORD
    sw t0, 8(sp)
    li s8, 12
    j hs_write
hs_v3:                          /* c.nop; addi a0, zero, v (at +2); c.jr ra */
    slli s7, s6, 52
    srai s7, s7, 52
    mv a0, s7
    call enc_addi
    li t0, C_NOP
    sh t0, 0(sp)
    sh a0, 2(sp)
    srli a0, a0, 16
    sh a0, 4(sp)
    li t0, C_JR_RA
    sh t0, 6(sp)
    li s8, 8
    j hs_write
hs_v4:                          /* addi a0, zero, v; j .+8; addi a0, a0, 1; ret */
    slli s7, s6, 52
    srai s7, s7, 52
    mv a0, s7
    call enc_addi
    sw a0, 0(sp)
    li t0, J_PLUS_8
    sw t0, 4(sp)
    li t0, ADDI_A0_1
    sw t0, 8(sp)
    li t0, RET_WORD
    sw t0, 12(sp)
    li s8, 16
hs_write:
    beq s7, s4, hs_pick         /* the same value would hide stale code */
    lla a0, shared_fn
    mv a1, sp
    mv a2, s8
    srli a3, s6, 40
    andi a3, a3, 7
    call write_code
    lla t0, g_want
    sd s7, 0(t0)
    fence rw, rw
    lla t0, g_gen                /* publish: store-release, two ways */
    andi t1, s2, 1
    beqz t1, 1f
    amoswap.d.rl zero, s2, (t0)
    j 2f
1:  fence rw, w
    sd s2, 0(t0)
2:  call ipi_readers
    fence.i                     /* hart 0's own view */
    lla t0, shared_fn
    jalr t0
    mv a1, s7
    mv a2, s2
    li a3, T_SHARED_OWN
    call check
    mv s4, s7
    andi t0, s2, OWN_EVERY - 1
    bnez t0, 3f
    call own_tests
3:  li s9, 1                    /* every reader acknowledges */
5:  lla a0, rec + R_ACK
    slli t0, s9, 7
    add a0, a0, t0
    mv a1, s2
    li a2, 1
    call wait_for
    beqz a1, 4f
    mv a1, s2                   /* got: its ack; want: this generation */
    mv a2, s9                   /* the hart that stopped answering */
    li a3, T_TIMEOUT
    call fail
    j report
4:  addi s9, s9, 1
    li t0, NHARTS
    blt s9, t0, 5b
    li t0, N_HS
    blt s2, t0, hs_next

    /* the racy phase: phase 1, announced with one more generation */
    lla t0, g_phase
    li t1, 1
    sd t1, 0(t0)
    addi s2, s2, 1
    lla t0, g_gen
    fence rw, w
    sd s2, 0(t0)
    call ipi_readers
    li s2, 0                    /* racy generation */
    li s11, 0                   /* rounds */
rc_round:
    call rand                   /* a burst of 1..8 generations, paced */
    andi s8, a0, 7
    addi s8, s8, 1
    srli t0, a0, 8
    andi t0, t0, 3
    slli t0, t0, 3
    lla t1, delay_masks
    add t1, t1, t0
    ld s9, 0(t1)
rc_write:
    addi s2, s2, 1
    andi a0, s2, 0x7ff
    call enc_addi
    lla t0, racy_fn
    sw a0, 0(t0)
    fence rw, w                 /* the code, then the generation */
    lla t0, g_racy_gen
    sd s2, 0(t0)
    call rand                   /* pause 0..mask turns */
    and t0, a0, s9
1:  beqz t0, 2f
    addi t0, t0, -1
    j 1b
2:  addi s8, s8, -1
    bnez s8, rc_write
    call ipi_readers            /* wake the ones that sleep */
    fence.i
    lla t0, racy_fn
    jalr t0
    andi a1, s2, 0x7ff
    mv a2, s2
    li a3, T_RACY_OWN
    call check
    addi s11, s11, 1
    andi t0, s11, OWN_EVERY_ROUNDS - 1
    bnez t0, 3f
    call own_tests
3:  li s9, 1                    /* every reader checks the last one */
4:  lla a0, rec + R_ACK
    slli t0, s9, 7
    add a0, a0, t0
    mv a1, s2
    li a2, 1
    call wait_for
    beqz a1, 5f
    mv a1, s2
    mv a2, s9
    li a3, T_TIMEOUT
    call fail
    j rc_end
5:  addi s9, s9, 1
    li t0, NHARTS
    blt s9, t0, 4b
    li t0, N_ROUNDS
    blt s11, t0, rc_round
rc_end:
    lla t0, g_phase             /* phase 2, announced with a generation */
    li t1, 2
    sd t1, 0(t0)
    addi t1, s2, 1
    lla t0, g_racy_gen
    fence rw, w
    sd t1, 0(t0)
    call ipi_readers
    j report

ipi_readers:
    addi sp, sp, -16
    sd ra, 0(sp)
    sd s9, 8(sp)
    li s9, 1
1:  mv a0, s9
    call ipi
    addi s9, s9, 1
    li t0, NHARTS
    blt s9, t0, 1b
    ld ra, 0(sp)
    ld s9, 8(sp)
    addi sp, sp, 16
    ret

/* ---- harts 1-3: the readers ----------------------------------------------- */

/* s2 the last generation, s4 the new one, s5 the value it must return */
reader:
    li s2, 0
rd_next:
    lla a0, g_gen
    mv a1, s2
    li a2, 0
    call wait_for
    beqz a1, 1f
    addi a1, s2, 1              /* hart 0 stopped publishing */
    li a2, 0
    li a3, T_TIMEOUT
    call fail
    j rd_finish
1:  mv s4, a0
    lla t0, g_phase
    ld t0, 0(t0)
    bnez t0, racy_reader
    lla t0, g_want
    ld s5, 0(t0)
    addi a1, s2, 1              /* one generation at a time */
    mv a2, s2
    li a3, T_ORDER
    call check
    mv s2, s4
    fence.i
    lla t0, shared_fn
    jalr t0
    mv a1, s5
    mv a2, s2
    li a3, T_SHARED
    call check
    lla t0, shared_fn            /* again: the jump cache's way in */
    jalr t0
    mv a1, s5
    mv a2, s2
    li a3, T_SHARED_AGAIN
    call check
    andi t0, s2, OWN_EVERY - 1
    bnez t0, 2f
    call own_tests
2:  fence rw, w
    sd s2, R_ACK(s3)
    li a0, 0
    call ipi
    j rd_next

/*
 * s4 generation before the call, s5 the result, s7 generation after; s2
 * the previous s4, s8 checks since it changed, s6 checks made.  After
 * every check the reader acknowledges s4 (hart 0 waits for the last
 * generation of a burst), with an IPI when s4 is new; after IDLE_CHECKS
 * checks of one generation it sleeps until the next.
 */
racy_reader:
    li s2, -1
    li s6, 0
    li s8, 0
rr_next:
    lla t0, g_phase
    ld t0, 0(t0)
    li t1, 2
    beq t0, t1, rd_finish
    lla t0, g_racy_gen
    ld s4, 0(t0)
    fence r, rw
    /* The end is announced with a generation whose code was never
     * written (phase 2 is stored first): having read the phase before
     * the generation, look again, or that last generation would be
     * checked against the code of the one before. */
    lla t0, g_phase
    ld t0, 0(t0)
    li t1, 2
    beq t0, t1, rd_finish
    fence.i
    lla t0, racy_fn
    jalr t0
    mv s5, a0
    lla t0, g_racy_gen
    ld s7, 0(t0)
    fence r, rw
    /* got - G (mod 2048) must be at most G2 + 1 - G, if that is < 2047 */
    sub t1, s5, s4
    andi t1, t1, 0x7ff
    sub t2, s7, s4
    addi t2, t2, 1
    li t3, 0x7ff
    bgeu t2, t3, 2f             /* too far apart to tell */
    ld t0, R_RACY(s3)
    addi t0, t0, 1
    sd t0, R_RACY(s3)
    ld t0, R_CHECKS(s3)
    addi t0, t0, 1
    sd t0, R_CHECKS(s3)
    bleu t1, t2, 2f
    mv a0, s5
    andi a1, s4, 0x7ff
    mv a2, s4
    li a3, T_RACY
    call fail
2:  fence rw, w
    sd s4, R_ACK(s3)
    lla t0, racy_fn             /* once more without fence.i, unchecked */
    jalr t0
    addi s6, s6, 1
    andi t0, s6, OWN_EVERY_CHECKS - 1
    bnez t0, 3f
    call own_tests
3:  addi s8, s8, 1
    beq s4, s2, 4f
    mv s2, s4                   /* a new generation checked: tell hart 0 */
    li s8, 0
    li a0, 0
    call ipi
4:  li t0, IDLE_CHECKS
    bltu s8, t0, rr_next
    lla a0, g_racy_gen          /* idle: sleep until the next burst */
    mv a1, s4
    li a2, 0
    call wait_for
    li s8, 0
    beqz a1, rr_next
    addi a1, s4, 1              /* hart 0 stopped publishing */
    li a2, 0
    li a3, T_TIMEOUT
    call fail

rd_finish:
    li t0, 1
    fence rw, w
    sd t0, R_DONE(s3)
    li a0, 0
    call ipi
    j park

/* ---- traps: every one is a failure ---------------------------------------- */

    .align 2
smc_trap:
    csrr s0, mhartid
    call hart_setup             /* fresh sp and s3, whatever ran before */
    csrr a0, mepc
    csrr a1, mtval
    csrr a2, mcause
    li a3, T_TRAP
    call fail
    beqz s0, report
    j rd_finish

/* ---- hart 0: the report ---------------------------------------------------- */

report:
    li s9, 1                    /* the readers are done (or hung) */
1:  lla a0, rec + R_DONE
    slli t0, s9, 7
    add a0, a0, t0
    li a1, 1
    li a2, 1
    call wait_for
    beqz a1, 2f
    li a1, 1
    mv a2, s9
    li a3, T_TIMEOUT
    call fail
2:  addi s9, s9, 1
    li t0, NHARTS
    blt s9, t0, 1b

    li s9, 0                    /* hart */
    li s11, 0                   /* failures */
3:  lla s10, rec
    slli t0, s9, 7
    add s10, s10, t0
    lla a0, s_hart
    mv a1, s9
    call put_field
    lla a0, s_checks
    ld a1, R_CHECKS(s10)
    call put_field
    lla a0, s_racy
    ld a1, R_RACY(s10)
    call put_field
    lla a0, s_fails
    ld a1, R_FAILS(s10)
    call put_field
    li a0, '\n'
    call putc
    ld t0, R_FAILS(s10)
    beqz t0, 6f
    add s11, s11, t0
    lla a0, s_fail_hart
    mv a1, s9
    call put_field
    lla a0, s_test
    call puts
    ld t0, R_TEST(s10)
    li t1, T_COUNT
    bltu t0, t1, 4f
    li t0, 0
4:  slli t0, t0, 3
    lla t1, test_names
    add t1, t1, t0
    ld a0, 0(t1)
    call puts
    ld t0, R_TEST(s10)
    li t1, T_TRAP
    beq t0, t1, 5f
    lla a0, s_gen
    li t1, T_TIMEOUT
    bne t0, t1, 8f
    lla a0, s_wait_hart
8:  ld a1, R_GEN(s10)
    call put_field
    lla a0, s_got
    ld a1, R_GOT(s10)
    call put_field
    lla a0, s_want
    ld a1, R_WANT(s10)
    call put_field
    li a0, '\n'
    call putc
    j 6f
5:  lla a0, s_mcause
    ld a1, R_GEN(s10)
    call put_field
    lla a0, s_mepc
    ld a1, R_GOT(s10)
    call put_hex_field
    lla a0, s_mtval
    ld a1, R_WANT(s10)
    call put_hex_field
    li a0, '\n'
    call putc
6:  addi s9, s9, 1
    li t0, NHARTS
    blt s9, t0, 3b
    bnez s11, 7f
    lla a0, s_ok
    li a1, N_HS
    call put_field
    lla a0, s_racy_gens
    lla t0, g_racy_gen
    ld a1, 0(t0)
    call put_field
    li a0, '\n'
    call putc
    li a0, 0
    call exit
7:  lla a0, s_fail_total
    mv a1, s11
    call put_field
    li a0, '\n'
    call putc
    li a0, 1
    call exit

/* put_field(a0 = label, a1 = value): the label, then the value in signed
 * decimal. */
put_field:
    addi sp, sp, -16
    sd ra, 8(sp)
    sd a1, 0(sp)
    call puts
    ld a0, 0(sp)
    bgez a0, 1f
    li a0, '-'
    call putc
    ld a0, 0(sp)
    neg a0, a0
1:  li a1, 10
    call put_num
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/* ---- the code that gets rewritten, each group on a page of its own ----- */

    .section .text.smc, "ax"
    .option push
    .option norvc

/* Page A: rewritten by hart 0 only, called by everyone. */
    .balign 4096
    .globl shared_fn
shared_fn:
    .word 0x00000513, RET_WORD, 0, 0   /* li a0, 0; ret */

/* Page R: rewritten by hart 0 while the readers call it. */
    .balign 4096
    .globl racy_fn
racy_fn:
    .word 0x00000513, RET_WORD         /* li a0, 0; ret */

/* Page B: one 64-byte slot per hart, each rewritten by its own hart. */
    .balign 4096
own_slots:
    .rept NHARTS
    .word 0x00000513, RET_WORD
    .balign 64
    .endr

/*
 * Page C: every hart's own copy of five routines that rewrite an
 * instruction of this page and run it.  a1 is the new instruction word
 * (pc_fence, pc_nofence, pc_call), or the first one (pc_loop*, which add
 * 1 to its immediate each turn, a2 turns, and return the sum).
 */
    .balign 4096
.macro PAGE_C h
/* Offsets from the auipc are literal (gas wants constants there); the
 * .if lines check them against the labels.  No compressed code here. */
pc_fence_\h:
1:  auipc t0, 0
    sw a1, 12(t0)
    fence.i
2:  addi a0, zero, 0
    ret
    .if 2b - 1b != 12
    .error "pc_fence: offset"
    .endif
pc_nofence_\h:
1:  auipc t0, 0
    sw a1, 8(t0)
2:  addi a0, zero, 0                /* straight after the store */
    ret
    .if 2b - 1b != 8
    .error "pc_nofence: offset"
    .endif
pc_call_\h:
    mv t1, ra
1:  auipc t0, 0
    sw a1, 20(t0)
    fence.i
    .word 0x008000ef                /* jal ra, .+8 (to 3:), as a constant */
    jr t1
3:  addi a0, zero, 0
    ret
    .if 3b - 1b != 20
    .error "pc_call: offset"
    .endif
pc_loop_\h:                        /* no fence.i: stores into its own block */
    li a3, 0
    lui t2, 0x100                   /* 1 << 20: the immediate's unit */
1:  auipc t0, 0
    sw a1, 8(t0)
2:  addi a0, zero, 0
    add a3, a3, a0
    add a1, a1, t2
    sw a1, 8(t0)
    addi a2, a2, -1
    bnez a2, 2b
    mv a0, a3
    ret
    .if 2b - 1b != 8
    .error "pc_loop: offset"
    .endif
pc_loopf_\h:
    li a3, 0
    lui t2, 0x100
1:  auipc t0, 0
    sw a1, 12(t0)
    fence.i
2:  addi a0, zero, 0
    add a3, a3, a0
    add a1, a1, t2
    sw a1, 12(t0)
    fence.i
    addi a2, a2, -1
    bnez a2, 2b
    mv a0, a3
    ret
    .if 2b - 1b != 12
    .error "pc_loopf: offset"
    .endif
.endm
    PAGE_C 0
    PAGE_C 1
    PAGE_C 2
    PAGE_C 3
    .balign 4096
    .option pop

/* ---- data ------------------------------------------------------------------ */

    .section .rodata
    .balign 8
pagec_tab:
    .irp h, 0, 1, 2, 3
    .dword pc_fence_\h, pc_nofence_\h, pc_call_\h, pc_loop_\h, pc_loopf_\h
    .endr
delay_masks:
    .dword 0, 63, 511, 4095
test_names:
    .dword s_t_unknown, s_t_shared, s_t_shared_again, s_t_shared_own
    .dword s_t_order, s_t_racy, s_t_racy_own, s_t_own, s_t_own_nofence
    .dword s_t_page_fence, s_t_page_nofence, s_t_page_call
    .dword s_t_loop_fence, s_t_loop_nofence, s_t_trap, s_t_timeout

    .globl guest_name
guest_name:       .asciz "smc-stress"
s_hart:           .asciz "SMC-STRESS hart="
s_checks:         .asciz " checks="
s_racy:           .asciz " racy="
s_fails:          .asciz " fails="
s_fail_hart:      .asciz "SMC-STRESS FAIL hart="
s_test:           .asciz " test="
s_gen:            .asciz " gen="
s_wait_hart:      .asciz " waiting-for-hart="
s_got:            .asciz " got="
s_want:           .asciz " want="
s_mcause:         .asciz " mcause="
s_mepc:           .asciz " mepc=0x"
s_mtval:          .asciz " mtval=0x"
s_ok:             .asciz "SMC-STRESS ok gens="
s_racy_gens:      .asciz " racy-gens="
s_fail_total:     .asciz "SMC-STRESS FAIL total="
s_t_unknown:      .asciz "?"
s_t_shared:       .asciz "shared"
s_t_shared_again: .asciz "shared-again"
s_t_shared_own:   .asciz "shared-own"
s_t_order:        .asciz "order"
s_t_racy:         .asciz "racy"
s_t_racy_own:     .asciz "racy-own"
s_t_own:          .asciz "own"
s_t_own_nofence:  .asciz "own-nofence"
s_t_page_fence:   .asciz "page-fence"
s_t_page_nofence: .asciz "page-nofence"
s_t_page_call:    .asciz "page-call"
s_t_loop_fence:   .asciz "loop-fence"
s_t_loop_nofence: .asciz "loop-nofence"
s_t_trap:         .asciz "trap"
s_t_timeout:      .asciz "timeout"

    .data
    .balign 64
g_gen:      .dword 0            /* handshake generation (release/acquire) */
g_want:     .dword 0            /* what shared_fn returns in it */
    .balign 64
g_phase:    .dword 0            /* 0 handshake, 1 racy, 2 done */
    .balign 64
g_racy_gen: .dword 0
    .balign 128
rec:        .skip REC_SIZE * NHARTS

    .bss
    .balign 16
stacks:     .skip 4096 * NHARTS
