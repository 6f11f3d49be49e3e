package cli

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strings"

	"github.com/cais-project/cais/internal/units"
)

// The pflag values below parse create/run flags as Docker's CLI does, so a
// bad value fails flag parsing with pflag's `invalid argument "V" for
// "--flag" flag: why`, which the root command reports with exit 125.

// bytesValue is a size ("64m", "1g"); allowUnlimited also takes -1.
type bytesValue struct {
	n              *int64
	allowUnlimited bool
}

func (v bytesValue) String() string {
	if *v.n == 0 {
		return ""
	}
	return fmt.Sprint(*v.n)
}
func (v bytesValue) Type() string { return "bytes" }
func (v bytesValue) Set(s string) error {
	n, err := units.RAMInBytes(s)
	switch {
	case err != nil:
		return err
	case n == -1 && v.allowUnlimited:
	case n < 0:
		return errors.New("a size cannot be negative")
	}
	*v.n = n
	return nil
}

// cpusValue is --cpus: a decimal number of CPUs, kept in units of 1e-9.
type cpusValue struct{ nano *int64 }

func (v cpusValue) String() string {
	if *v.nano == 0 {
		return ""
	}
	return big.NewRat(*v.nano, 1e9).FloatString(3)
}
func (v cpusValue) Type() string { return "decimal" }
func (v cpusValue) Set(s string) error {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return fmt.Errorf("failed to parse %v as a rational number", s)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return errors.New("value is too precise")
	}
	n := runtime.NumCPU()
	if nano.Sign() < 0 || nano.Cmp(big.NewRat(int64(n)*1e9, 1)) > 0 || (nano.Sign() > 0 && nano.Cmp(big.NewRat(1e7, 1)) < 0) {
		return fmt.Errorf("range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", n, n)
	}
	*v.nano = nano.Num().Int64()
	return nil
}

// pullValue is --pull: always, missing or never.
type pullValue struct{ p *string }

func (v pullValue) String() string { return *v.p }
func (v pullValue) Type() string   { return "string" }
func (v pullValue) Set(s string) error {
	switch s {
	case "always", "missing", "never":
		*v.p = s
		return nil
	}
	return fmt.Errorf(`invalid pull option: '%s': must be one of "always", "missing" or "never"`, s)
}

// mapValue is a repeatable KEY=VALUE flag (--sysctl).
type mapValue struct{ m *map[string]string }

func (v mapValue) String() string { return "" }
func (v mapValue) Type() string   { return "map" }
func (v mapValue) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", s)
	}
	if *v.m == nil {
		*v.m = map[string]string{}
	}
	(*v.m)[k] = val
	return nil
}
