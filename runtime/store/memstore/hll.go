package memstore

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The HyperLogLog below is Redis's, bit for bit: the same hash
// (MurmurHash64A, seed 0xadc83b19), 16384 registers addressed by the low 14
// bits, the run length of the remaining 50 bits, and the estimator Redis has
// used since 5.0 (Otmar Ertl's improved raw estimator). A set counted here and
// the same set PFADDed into Redis give the same PFCOUNT, unions included. The
// standard error is Redis's too: 1.04/sqrt(16384) = 0.81%.
const (
	hllP         = 14
	hllRegisters = 1 << hllP
	hllQ         = 64 - hllP
	hllAlphaInf  = 0.721347520444481703680 // 1 / (2 ln 2)
	hllSeed      = 0xadc83b19
)

// hll holds one byte per register: 16 KiB per key, whatever the number of
// members (Redis packs six bits per register and starts sparse).
type hll struct {
	reg [hllRegisters]uint8
}

// add reports whether a register changed, as PFADD does.
func (h *hll) add(member string) bool {
	index, count := hllPatLen(member)
	if h.reg[index] < count {
		h.reg[index] = count
		return true
	}
	return false
}

// merge takes the register-wise maximum, which is the union of the sets.
func (h *hll) merge(o *hll) {
	for i, v := range o.reg {
		if v > h.reg[i] {
			h.reg[i] = v
		}
	}
}

func (h *hll) count() uint64 {
	var histo [64]int
	for _, v := range h.reg {
		histo[v]++
	}
	return hllEstimate(&histo)
}

// hllPatLen returns the register a member goes to and the length of the run
// of zeros (plus one) in the rest of its hash.
func hllPatLen(member string) (index int, count uint8) {
	h := murmurHash64A(member, hllSeed)
	index = int(h & (hllRegisters - 1))
	h >>= hllP
	h |= 1 << hllQ // bounds the count to Q+1
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

func hllEstimate(histo *[64]int) uint64 {
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if prev == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if prev == z {
			return z / 3
		}
	}
}

// murmurHash64A is Austin Appleby's MurmurHash64A on a little-endian
// machine, as Redis's hyperloglog.c computes it.
func murmurHash64A(key string, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	n := len(key)
	h := seed ^ (uint64(n) * m)
	i := 0
	for ; i+8 <= n; i += 8 {
		k := binary.LittleEndian.Uint64([]byte(key[i : i+8]))
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if rest := n - i; rest > 0 {
		for j := rest - 1; j >= 0; j-- {
			h ^= uint64(key[i+j]) << (8 * j)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}
