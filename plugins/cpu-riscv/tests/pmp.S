/* PMP: NAPOT/TOR/NA4 matching, priority, partial matches, lock bit, WARL. */
#include "rv-test.h"
TEST_START
    SKIP_TRAPS
    /* e0: NAPOT 4K `prot`, no permissions */
    la t0, prot
    srli t0, t0, 2
    ori t0, t0, 0x1ff
    csrw pmpaddr0, t0
    /* e1 (OFF) + e2 (TOR): `ro_page` read-only */
    la t0, ro_page
    srli t0, t0, 2
    csrw pmpaddr1, t0
    li t1, 4096 >> 2
    add t0, t0, t1
    csrw pmpaddr2, t0
    /* e3: NA4 on `word`, read-only */
    la t0, word
    srli t0, t0, 2
    csrw pmpaddr3, t0
    /* e7: everything, RWX */
    li t0, -1
    csrw pmpaddr7, t0
    li t0, 0x1f00000011090018
    csrw pmpcfg0, t0
    csrr a0, pmpcfg0
    CHECK(1, a0, 0x1f00000011090018)
    /* W without R is reserved: legalised to no W */
    li t0, 0x1a << 32
    csrs pmpcfg0, t0
    csrr a0, pmpcfg0
    srli a0, a0, 32
    andi a0, a0, 0xff
    CHECK(2, a0, 0x18)
    li t0, 0xff << 32
    csrc pmpcfg0, t0
    /* M-mode ignores unlocked entries */
    la s0, prot
    ld a0, 0(s0)
    CHECK(3, a0, 0x5a5a)
    ENTER(1, 1f)
1:  ld a0, 0(s0)
    CHECK_MTRAP(4, 5)
    li gp, 5
    bne s11, s0, fail
    sd a0, 8(s0)
    CHECK_MTRAP(6, 7)
    /* TOR read-only page */
    la s1, ro_page
    ld a0, 0(s1)
    CHECK(7, a0, 0x7777)
    CHECK(8, s10, -1)
    sd a0, 0(s1)
    CHECK_MTRAP(9, 7)
    /* not executable: instruction access fault */
    jalr ra, 0(s1)
    CHECK_MTRAP(10, 1)
    /* NA4: the word is readable, an 8-byte access only partly inside fails */
    la s2, word
    lw a0, 0(s2)
    CHECK(11, a0, 0x1234)
    CHECK(12, s10, -1)
    ld a0, 0(s2)
    CHECK_MTRAP(13, 5)
    sw a0, 0(s2)
    CHECK_MTRAP(14, 7)
    lw a0, 4(s2)                   /* next word: entry 7 */
    CHECK(15, s10, -1)
    ecall
    /* lock entry 0: now M is denied too, and the entry is frozen */
    li t0, 0x80
    csrs pmpcfg0, t0
    ld a0, 0(s0)
    CHECK_MTRAP(16, 5)
    li t0, 0xff
    csrc pmpcfg0, t0
    csrr a0, pmpcfg0
    andi a0, a0, 0xff
    CHECK(17, a0, 0x98)
    csrr a1, pmpaddr0
    csrw pmpaddr0, zero
    csrr a2, pmpaddr0
    li gp, 18
    bne a1, a2, fail
    /* pmpaddr beyond the 16 entries reads zero, writes are ignored */
    li t0, -1
    csrw pmpaddr20, t0
    csrr a0, pmpaddr20
    CHECK(19, a0, 0)
    TEST_PASS

    .data
    .balign 4096
prot:    .dword 0x5a5a
         .balign 4096
ro_page: .dword 0x7777
         .balign 4096
word:    .word 0x1234, 0x5678
         .balign 4096
