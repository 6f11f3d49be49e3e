// Package units parses the sizes users type on command lines ("64m",
// "1.5g", "-1"), the way Docker and runc read them, for both cais and
// cais-runtime. Callers classify the error.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// binaryUnit gives the multiplier of a size suffix; like Docker and runc
// (docker/go-units RAMInBytes), k, m, g... are powers of 1024 whether or
// not an "i" or "b" follows. A switch, not a map: a package-level map is
// built at the start of every process that links this package.
func binaryUnit(c byte) (float64, bool) {
	switch c {
	case 'k':
		return 1 << 10, true
	case 'm':
		return 1 << 20, true
	case 'g':
		return 1 << 30, true
	case 't':
		return 1 << 40, true
	case 'p':
		return 1 << 50, true
	}
	return 0, false
}

// RAMInBytes parses a memory size: "-1" (unlimited), or a decimal number
// of bytes with an optional suffix, case-insensitive: "512", "64m", "1.5g",
// "64MiB", "64 MB", "100b".
func RAMInBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	bad := fmt.Errorf("invalid size %q", s)
	num := strings.ToLower(s)
	num = strings.TrimSuffix(num, "b")
	num = strings.TrimSuffix(num, "i")
	mult := 1.0
	if n := len(num); n > 0 {
		if m, ok := binaryUnit(num[n-1]); ok {
			mult, num = m, num[:n-1]
		}
	}
	num = strings.TrimSuffix(num, " ")
	if !isDecimal(num) {
		return 0, bad
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, bad
	}
	v *= mult
	if v >= math.MaxInt64 {
		return 0, bad
	}
	return int64(v), nil
}

// isDecimal reports whether s is digits with at most one "." inside.
func isDecimal(s string) bool {
	intPart, frac, hasDot := strings.Cut(s, ".")
	digits := func(t string) bool {
		if t == "" {
			return false
		}
		for _, c := range t {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return digits(intPart) && (!hasDot || digits(frac))
}
