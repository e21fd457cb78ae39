/*
 * sha256_hw.c: SHA-256 blocks on the CPU's SHA instructions, written from the instruction sets'
 * descriptions (Intel SHA extensions: SHA256RNDS2 does two rounds on the state split as ABEF
 * and CDGH with W+K in the low two lanes of its implicit operand, SHA256MSG1/MSG2 the two halves
 * of the message schedule; Arm ARM: SHA256H/SHA256H2 four rounds on ABCD and EFGH, SHA256SU0/
 * SU1 the schedule). BearSSL's portable rounds were a quarter of restore's CPU. Each function is
 * compiled for its extension by a target attribute and called only when the CPU said it has it
 * (cpuid, AT_HWCAP): the binary still runs on any CPU of its architecture.
 */
#include "sha256_hw.h"

/* FIPS 180-4 section 4.2.2: the first 32 bits of the cube roots' fractions of the first 64 primes.
 */
static const uint32_t round_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

bool sha256_hw_available(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}

/* Words 4i..4i+3 of the schedule, the slots w[] holding the last four groups (w[i & 3] the
 * oldest): W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], MSG1 adding the s0 terms, ALIGNR
 * picking W[t-7], MSG2 the s1 terms (its last two from the lanes it has just made). */
__attribute__((target("sha,ssse3,sse4.1"))) static __m128i x86_schedule(const __m128i w[4], int i)
{
	__m128i s0 = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);

	s0 = _mm_add_epi32(s0, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
	return _mm_sha256msg2_epu32(s0, w[(i + 3) & 3]);
}

__attribute__((target("sha,ssse3,sse4.1"))) void
sha256_hw_blocks(uint32_t state[8], const unsigned char *blocks, size_t n)
{
	const __m128i be32 = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	/* _mm_set_epi32 names the highest lane first: ABEF is A in lane 3 down to F in lane 0. */
	__m128i abef = _mm_set_epi32((int)state[0], (int)state[1], (int)state[4], (int)state[5]);
	__m128i cdgh = _mm_set_epi32((int)state[2], (int)state[3], (int)state[6], (int)state[7]);
	uint32_t lanes[8];

	for (; n; n--, blocks += 64) {
		__m128i abef_in = abef, cdgh_in = cdgh, w[4], wk;

		for (int i = 0; i < 16; i++) {
			w[i & 3] =
				i < 4 ? _mm_shuffle_epi8(
						_mm_loadu_si128((const __m128i *)(blocks + 16 * i)),
						be32)
				      : x86_schedule(w, i);
			wk = _mm_add_epi32(w[i & 3],
					   _mm_load_si128((const __m128i *)&round_k[4 * i]));
			/* Two rounds: the new ABEF comes out, the old ABEF is the new CDGH. */
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
		}
		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
	}
	_mm_storeu_si128((__m128i *)&lanes[0], abef); /* F E B A */
	_mm_storeu_si128((__m128i *)&lanes[4], cdgh); /* H G D C */
	state[0] = lanes[3], state[1] = lanes[2], state[4] = lanes[1], state[5] = lanes[0];
	state[2] = lanes[7], state[3] = lanes[6], state[6] = lanes[5], state[7] = lanes[4];
}

#elif defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>

#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif

bool sha256_hw_available(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
}

__attribute__((target("+crypto"))) void sha256_hw_blocks(uint32_t state[8],
							 const unsigned char *blocks, size_t n)
{
	uint32x4_t abcd = vld1q_u32(state), efgh = vld1q_u32(state + 4);

	for (; n; n--, blocks += 64) {
		uint32x4_t abcd_in = abcd, efgh_in = efgh, w[4], wk, abcd_old;

		for (int i = 0; i < 16; i++) {
			/* SU0 adds s0(W[t-15]) to W[t-16], SU1 the rest (W[t-7], s1(W[t-2])). */
			w[i & 3] =
				i < 4 ? vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(blocks + 16 * i)))
				      : vsha256su1q_u32(vsha256su0q_u32(w[i & 3], w[(i + 1) & 3]),
							w[(i + 2) & 3], w[(i + 3) & 3]);
			wk = vaddq_u32(w[i & 3], vld1q_u32(&round_k[4 * i]));
			abcd_old =
				abcd; /* four rounds: H takes ABCD, H2 the ABCD from before them */
			abcd = vsha256hq_u32(abcd, efgh, wk);
			efgh = vsha256h2q_u32(efgh, abcd_old, wk);
		}
		abcd = vaddq_u32(abcd, abcd_in);
		efgh = vaddq_u32(efgh, efgh_in);
	}
	vst1q_u32(state, abcd);
	vst1q_u32(state + 4, efgh);
}

#else
bool sha256_hw_available(void)
{
	return false;
}

void sha256_hw_blocks(uint32_t state[8], const unsigned char *blocks, size_t n)
{
	(void)state, (void)blocks, (void)n, (void)round_k;
}
#endif
