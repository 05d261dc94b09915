/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): its constants, round count, key schedule and round, defined once.
 * Every path (simd_*.h) runs WI_PHILOX_ROUNDS rounds lane-wise with the round
 * keys of wi_philox_schedule; wi_philox_round is the scalar round (the
 * portable path and wi_philox_block, the reference behind the public
 * wi_philox4x32_10).
 *
 * Counter layout used by every kernel: ctr = {block_lo, block_hi, stream_lo,
 * stream_hi}, key = {key_lo, key_hi}; block = logical index / values per block.
 */
#ifndef WI_PHILOX_H
#define WI_PHILOX_H

#include <stdint.h>

#define WI_PHILOX_ROUNDS 10
#define WI_PHILOX_M0 0xD2511F53u
#define WI_PHILOX_M1 0xCD9E8D57u
#define WI_PHILOX_W0 0x9E3779B9u /* golden ratio */
#define WI_PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

typedef struct {
    uint32_t k0[WI_PHILOX_ROUNDS], k1[WI_PHILOX_ROUNDS]; /* the key words of each round */
} wi_philox_keys;

/* Round r uses the key bumped r times by the Weyl constants. */
static inline void wi_philox_schedule(uint32_t k0, uint32_t k1, wi_philox_keys *rk)
{
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++, k0 += WI_PHILOX_W0, k1 += WI_PHILOX_W1) {
        rk->k0[r] = k0;
        rk->k1[r] = k1;
    }
}

/* One round on a block's counter words, with that round's key words. */
static inline void wi_philox_round(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3, uint32_t k0,
                                   uint32_t k1)
{
    uint64_t p0 = (uint64_t)WI_PHILOX_M0 * *c0, p1 = (uint64_t)WI_PHILOX_M1 * *c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ *c1 ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ *c3 ^ k1;
    *c1 = (uint32_t)p1;
    *c3 = (uint32_t)p0;
    *c0 = n0;
    *c2 = n2;
}

static inline void wi_philox_block(const uint32_t ctr[4], const wi_philox_keys *rk, uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    for (int r = 0; r < WI_PHILOX_ROUNDS; r++)
        wi_philox_round(&c0, &c1, &c2, &c3, rk->k0[r], rk->k1[r]);
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

#endif
