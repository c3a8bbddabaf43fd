//go:build amd64 && !purego

#include "textflag.h"

// TABLE16 defines the read-only 16 bytes name, lo then hi (little-endian).
#define TABLE16(name, lo, hi) \
	DATA name+0(SB)/8, lo; \
	DATA name+8(SB)/8, hi; \
	GLOBL name(SB), RODATA|NOPTR, $16

// The bytes that end a run of a string's body, and the tables of the UTF-8
// check, 16 bytes each. The check is the "lookup" algorithm of Keiser and
// Lemire ("Validating UTF-8 in less than one instruction per byte", 2021):
// three nibble lookups classify each byte with the one before it, and the
// third and fourth bytes of a sequence are checked against the bytes two
// and three before.
TABLE16(runQuote<>, $0x2222222222222222, $0x2222222222222222)
TABLE16(runBackslash<>, $0x5c5c5c5c5c5c5c5c, $0x5c5c5c5c5c5c5c5c)
TABLE16(runControl<>, $0x1f1f1f1f1f1f1f1f, $0x1f1f1f1f1f1f1f1f)
TABLE16(runNibble<>, $0x0f0f0f0f0f0f0f0f, $0x0f0f0f0f0f0f0f0f)
TABLE16(runThird<>, $0x6060606060606060, $0x6060606060606060)
TABLE16(runFourth<>, $0x7070707070707070, $0x7070707070707070)
TABLE16(runHigh<>, $0x8080808080808080, $0x8080808080808080)

// Error bits: TOO_SHORT 0x01, TOO_LONG 0x02, OVERLONG_3 0x04, TOO_LARGE
// 0x08, SURROGATE 0x10, OVERLONG_2 0x20, TOO_LARGE_1000 and OVERLONG_4
// 0x40, TWO_CONTS 0x80; CARRY = TOO_SHORT|TOO_LONG|TWO_CONTS = 0x83.

// By the high nibble of the previous byte: 0-7 TOO_LONG; 8-B TWO_CONTS;
// C TOO_SHORT|OVERLONG_2; D TOO_SHORT; E TOO_SHORT|OVERLONG_3|SURROGATE;
// F TOO_SHORT|TOO_LARGE|TOO_LARGE_1000|OVERLONG_4.
TABLE16(runPrevHigh<>, $0x0202020202020202, $0x4915012180808080)

// By the low nibble of the previous byte: 0 CARRY|OVERLONG_3|OVERLONG_2|
// OVERLONG_4; 1 CARRY|OVERLONG_2; 2-3 CARRY; 4 CARRY|TOO_LARGE; 5-C
// CARRY|TOO_LARGE|TOO_LARGE_1000; D that and SURROGATE; E-F as 5-C.
TABLE16(runPrevLow<>, $0xcbcbcb8b8383a3e7, $0xcbcbdbcbcbcbcbcb)

// By the high nibble of the byte: 0-7 TOO_SHORT; 8 TOO_LONG|OVERLONG_2|
// TWO_CONTS|OVERLONG_3|TOO_LARGE_1000|OVERLONG_4; 9 TOO_LONG|OVERLONG_2|
// TWO_CONTS|OVERLONG_3|TOO_LARGE; A-B TOO_LONG|OVERLONG_2|TWO_CONTS|
// SURROGATE|TOO_LARGE; C-F TOO_SHORT.
TABLE16(runCurHigh<>, $0x0101010101010101, $0x01010101babaaee6)

// Sixteen 0xFF then sixteen 0x00: the 16 bytes at 16-p keep the first p
// bytes of a block.
DATA runKeep<>+0(SB)/8, $0xffffffffffffffff
DATA runKeep<>+8(SB)/8, $0xffffffffffffffff
DATA runKeep<>+16(SB)/8, $0
DATA runKeep<>+24(SB)/8, $0
GLOBL runKeep<>(SB), RODATA|NOPTR, $32

// 0, 1, …, 15 then sixteen 0x80: the 16 bytes at 16-r, as a PSHUFB mask,
// move the last r bytes of a block to its start and zero the rest.
DATA runShift<>+0(SB)/8, $0x0706050403020100
DATA runShift<>+8(SB)/8, $0x0f0e0d0c0b0a0908
DATA runShift<>+16(SB)/8, $0x8080808080808080
DATA runShift<>+24(SB)/8, $0x8080808080808080
GLOBL runShift<>(SB), RODATA|NOPTR, $32

// STOPS sets AX to the mask of the bytes of X0 that end a run: a quote, a
// backslash or a control byte (min(x, 0x1F) == x).
#define STOPS \
	MOVOU X0, X2; \
	PCMPEQB X8, X2; \
	MOVOU X0, X3; \
	PCMPEQB X9, X3; \
	POR X3, X2; \
	MOVOU X0, X3; \
	PMINUB X10, X3; \
	PCMPEQB X0, X3; \
	POR X3, X2; \
	PMOVMSKB X2, AX

// CHECK ors into X7 the UTF-8 errors of block X0 after block X1.
#define CHECK \
	MOVOU X0, X2; \
	PALIGNR $15, X1, X2; \
	MOVOU X2, X3; \
	PSRLW $4, X3; \
	PAND X11, X3; \
	MOVOU X12, X4; \
	PSHUFB X3, X4; \
	PAND X11, X2; \
	MOVOU X13, X5; \
	PSHUFB X2, X5; \
	PAND X5, X4; \
	MOVOU X0, X3; \
	PSRLW $4, X3; \
	PAND X11, X3; \
	MOVOU X14, X5; \
	PSHUFB X3, X5; \
	PAND X5, X4; \
	MOVOU X0, X2; \
	PALIGNR $14, X1, X2; \
	PSUBUSB runThird<>(SB), X2; \
	MOVOU X0, X3; \
	PALIGNR $13, X1, X3; \
	PSUBUSB runFourth<>(SB), X3; \
	POR X3, X2; \
	PAND runHigh<>(SB), X2; \
	PXOR X2, X4; \
	POR X4, X7

// TABLES loads the constants STOPS and CHECK use and clears X1 (no block
// before: as if ASCII) and X7 (no error yet).
#define TABLES \
	MOVOU runQuote<>(SB), X8; \
	MOVOU runBackslash<>(SB), X9; \
	MOVOU runControl<>(SB), X10; \
	MOVOU runNibble<>(SB), X11; \
	MOVOU runPrevHigh<>(SB), X12; \
	MOVOU runPrevLow<>(SB), X13; \
	MOVOU runCurHigh<>(SB), X14; \
	PXOR X1, X1; \
	PXOR X7, X7

// LAST loads into X0 the BX < 16 bytes left at DX of the CX bytes at SI
// (CX >= 16): the last 16 bytes, shifted down by 16-BX and zero-filled, so
// that the end is a stop; and sets AX by STOPS.
#define LAST \
	MOVOU -16(SI)(CX*1), X0; \
	LEAQ runShift<>+16(SB), R8; \
	SUBQ BX, R8; \
	MOVOU (R8), X3; \
	PSHUFB X3, X0; \
	STOPS

// CUT sets AX to the offset of the first stop of block X0 from its mask in
// AX, zeroes X0 from there and checks what is left of it.
#define CUT \
	BSFL AX, AX; \
	LEAQ runKeep<>+16(SB), R8; \
	SUBQ AX, R8; \
	MOVOU (R8), X3; \
	PAND X3, X0; \
	CHECK

// func runSIMD(b []byte) (n int, ok bool)
TEXT ·runSIMD(SB), NOSPLIT, $0-33
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	CMPQ CX, $16
	JB short
	TABLES
	XORQ DX, DX
	XORL R11, R11 // the high bits of the block before

loop:
	MOVQ CX, BX
	SUBQ DX, BX
	CMPQ BX, $16
	JB last
	MOVOU (SI)(DX*1), X0
	STOPS
	TESTL AX, AX
	JNZ stop
	// An ASCII block after an ASCII block needs no check.
	PMOVMSKB X0, R9
	MOVL R9, R10
	ORL R11, R10
	MOVL R9, R11
	TESTL R10, R10
	JZ next
	CHECK

next:
	MOVOU X0, X1
	ADDQ $16, DX
	JMP loop

last:
	LAST

stop:
	CUT
	ADDQ AX, DX
	MOVQ DX, n+24(FP)
	PXOR X3, X3
	PCMPEQB X7, X3
	PMOVMSKB X3, AX
	CMPL AX, $0xffff
	SETEQ ok+32(FP)
	RET

short:
	// Fewer than 16 bytes: left to the caller.
	MOVQ $0, n+24(FP)
	MOVB $0, ok+32(FP)
	RET

// The two-byte escapes by their letter: the character each stands for, or
// 0 for a byte that does not make one.
DATA escapeChar<>+0x22(SB)/1, $0x22
DATA escapeChar<>+0x2f(SB)/1, $0x2f
DATA escapeChar<>+0x5c(SB)/1, $0x5c
DATA escapeChar<>+0x62(SB)/1, $0x08
DATA escapeChar<>+0x66(SB)/1, $0x0c
DATA escapeChar<>+0x6e(SB)/1, $0x0a
DATA escapeChar<>+0x72(SB)/1, $0x0d
DATA escapeChar<>+0x74(SB)/1, $0x09
GLOBL escapeChar<>(SB), RODATA|NOPTR, $256

// func decodeSIMD(dst, src []byte) (nsrc, ndst int)
//
// SI, CX, DX: src, its length, the offset read to. DI: where the next byte
// goes in dst. R12, R13: the offset in src and the place in dst where the
// current run began, which is where decoding resumes in Go when the run is
// not valid UTF-8. X1, R11: the block before and its high bits, as in
// runSIMD; a run begins with an ASCII block before it (the escape's letter).
TEXT ·decodeSIMD(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ DX, DX
	XORQ R12, R12
	MOVQ DI, R13
	CMPQ CX, $16
	JB done
	TABLES
	XORL R11, R11

dloop:
	MOVQ CX, BX
	SUBQ DX, BX
	CMPQ BX, $16
	JB dlast
	MOVOU (SI)(DX*1), X0
	STOPS
	TESTL AX, AX
	JNZ dstop
	PMOVMSKB X0, R9
	MOVL R9, R10
	ORL R11, R10
	MOVL R9, R11
	TESTL R10, R10
	JZ dnext
	CHECK

dnext:
	MOVOU X0, (DI)
	MOVOU X0, X1
	ADDQ $16, DX
	ADDQ $16, DI
	JMP dloop

dlast:
	LAST

dstop:
	// The run ends AX bytes into the block: check it, keep it.
	CUT
	PXOR X3, X3
	PCMPEQB X7, X3
	PMOVMSKB X3, R9
	CMPL R9, $0xffff
	JNE dinvalid
	MOVOU X0, (DI)
	ADDQ AX, DX
	ADDQ AX, DI

	// A backslash with a letter of escapeChar after it is decoded here and
	// a new run begins; anything else is left to the caller.
	LEAQ 1(DX), R9
	CMPQ R9, CX
	JAE done
	MOVBLZX (SI)(DX*1), R10
	CMPL R10, $0x5c
	JNE done
	MOVBLZX (SI)(R9*1), R10
	LEAQ escapeChar<>(SB), R8
	MOVBLZX (R8)(R10*1), R10
	TESTL R10, R10
	JZ done
	MOVB R10, (DI)
	ADDQ $1, DI
	ADDQ $2, DX
	MOVQ DX, R12
	MOVQ DI, R13
	PXOR X1, X1
	XORL R11, R11
	JMP dloop

dinvalid:
	MOVQ R12, DX
	MOVQ R13, DI

done:
	MOVQ DX, nsrc+48(FP)
	SUBQ dst_base+0(FP), DI
	MOVQ DI, ndst+56(FP)
	RET

// func cpuidECX1() uint32
TEXT ·cpuidECX1(SB), NOSPLIT, $0-4
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, ret+0(FP)
	RET
