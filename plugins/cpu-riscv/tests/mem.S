/* Loads and stores: sign/zero extension, widths, misaligned emulation. */
#include "rv-test.h"
TEST_START
    la s0, buf
    li a0, 0x8081828384858687
    sd a0, 0(s0)
    lb a1, 0(s0)
    CHECK(1, a1, 0xffffffffffffff87)
    lbu a1, 0(s0)
    CHECK(2, a1, 0x87)
    lh a1, 2(s0)
    CHECK(3, a1, 0xffffffffffff8485)
    lhu a1, 2(s0)
    CHECK(4, a1, 0x8485)
    lw a1, 4(s0)
    CHECK(5, a1, 0xffffffff80818283)
    lwu a1, 4(s0)
    CHECK(6, a1, 0x80818283)
    ld a1, 0(s0)
    CHECK(7, a1, 0x8081828384858687)
    /* narrow stores touch only their bytes */
    li a2, 0x1122334455667788
    sb a2, 8(s0)
    sh a2, 10(s0)
    sw a2, 12(s0)
    ld a1, 8(s0)
    CHECK(8, a1, 0x5566778877880088)
    /* negative offsets */
    addi s1, s0, 16
    ld a1, -16(s1)
    CHECK(9, a1, 0x8081828384858687)
    /* misaligned accesses are emulated (no trap) */
    li a0, 0x0102030405060708
    sd a0, 17(s0)
    ld a1, 17(s0)
    CHECK(10, a1, 0x0102030405060708)
    lw a1, 19(s0)
    CHECK(11, a1, 0x03040506)
    lh a1, 23(s0)
    CHECK(12, a1, 0x0102)
    lbu a1, 16(s0)
    CHECK(13, a1, 0)
    /* misaligned across a page boundary */
    la s2, page_end
    li a0, 0xa1a2a3a4a5a6a7a8
    sd a0, -3(s2)
    ld a1, -3(s2)
    CHECK(14, a1, 0xa1a2a3a4a5a6a7a8)
    lhu a1, -1(s2)
    CHECK(15, a1, 0xa5a6)
    TEST_PASS

    .data
    .align 4
buf: .fill 64, 1, 0
    .align 12
    .fill 4096, 1, 0
page_end:
    .fill 64, 1, 0
