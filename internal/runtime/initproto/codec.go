package initproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
)

// The config travels in a compact binary form of the Go value itself,
// walked by reflection: a struct's fields in order, each value as
// varints and length-prefixed bytes, with no names and no type
// descriptions. That is sound because both ends are one executable (the
// init is this binary, started from a sealed clone of itself), so they
// agree on every type's layout by construction.
//
// It replaces JSON for this one message: encoding/json analyses every
// struct type reachable from the one it decodes, building and caching an
// encoder per field, and the init paid that afresh for the OCI spec (about
// 2.5 ms of its start on the benchmark VM, and 130 KB of garbage); a walk
// over the values that are actually set costs a small fraction of it.
//
// Encoding of a kind:
//
//	bool                 one byte, 0 or 1
//	int*, uint*          varint, uvarint (range-checked when decoding)
//	float*               uvarint of the IEEE 754 bits
//	string, []byte       uvarint length, then the bytes
//	slice, map           uvarint 0 for nil, else length+1, then the elements
//	                     (a map: key, value, key, value...)
//	pointer              uvarint 0 for nil, else 1 and the value
//	struct               fields in declaration order (all exported: a
//	                     struct with unexported fields, such as
//	                     time.Time, is refused rather than lost)
//	array                the elements
//	interface            only nil (uvarint 0); anything else is refused

var errTruncated = errors.New("truncated")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.b = binary.AppendVarint(e.b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uvarint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.uvarint(math.Float64bits(v.Float()))
	case reflect.String:
		e.uvarint(uint64(v.Len()))
		e.b = append(e.b, v.String()...)
	case reflect.Slice:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		e.uvarint(uint64(v.Len()) + 1)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.b = append(e.b, v.Bytes()...)
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		e.uvarint(uint64(v.Len()) + 1)
		for it := v.MapRange(); it.Next(); {
			if err := e.value(it.Key()); err != nil {
				return err
			}
			if err := e.value(it.Value()); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.uvarint(0)
			return nil
		}
		e.uvarint(1)
		return e.value(v.Elem())
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				// It would silently arrive as its zero value.
				return fmt.Errorf("cannot encode %s's unexported field %s", t, t.Field(i).Name)
			}
			if err := e.value(v.Field(i)); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name(), t.Field(i).Name, err)
			}
		}
	case reflect.Interface:
		if !v.IsNil() {
			return fmt.Errorf("cannot encode a %s", v.Elem().Type())
		}
		e.uvarint(0)
	default:
		return fmt.Errorf("cannot encode a %s", v.Type())
	}
	return nil
}

type decoder struct{ b []byte }

func (d *decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errTruncated
	}
	d.b = d.b[n:]
	return x, nil
}

// length reads a length and checks it against what is left, so a corrupt
// message cannot make the decoder allocate more than the message's size.
func (d *decoder) length() (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.b)) {
		return 0, fmt.Errorf("length %d exceeds the %d bytes left", n, len(d.b))
	}
	return int(n), nil
}

// optional reads a nil marker or a length+1; ok is false for nil.
func (d *decoder) optional() (n int, ok bool, err error) {
	x, err := d.uvarint()
	if err != nil || x == 0 {
		return 0, false, err
	}
	if x-1 > uint64(len(d.b)) {
		return 0, false, fmt.Errorf("length %d exceeds the %d bytes left", x-1, len(d.b))
	}
	return int(x - 1), true, nil
}

func (d *decoder) value(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Bool:
		if len(d.b) == 0 {
			return errTruncated
		}
		if d.b[0] > 1 {
			return fmt.Errorf("bad bool %d", d.b[0])
		}
		v.SetBool(d.b[0] == 1)
		d.b = d.b[1:]
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 {
			return errTruncated
		}
		d.b = d.b[n:]
		if v.OverflowInt(x) {
			return fmt.Errorf("%d overflows %s", x, v.Type())
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		if v.OverflowUint(x) {
			return fmt.Errorf("%d overflows %s", x, v.Type())
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		v.SetFloat(math.Float64frombits(x))
	case reflect.String:
		n, err := d.length()
		if err != nil {
			return err
		}
		v.SetString(string(d.b[:n]))
		d.b = d.b[n:]
	case reflect.Slice:
		n, ok, err := d.optional()
		if err != nil || !ok {
			return err
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			reflect.Copy(s, reflect.ValueOf(d.b[:n]))
			d.b = d.b[n:]
		} else {
			for i := 0; i < n; i++ {
				if err := d.value(s.Index(i)); err != nil {
					return err
				}
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := d.value(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		n, ok, err := d.optional()
		if err != nil || !ok {
			return err
		}
		t := v.Type()
		m := reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k := reflect.New(t.Key()).Elem()
			if err := d.value(k); err != nil {
				return err
			}
			e := reflect.New(t.Elem()).Elem()
			if err := d.value(e); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		x, err := d.uvarint()
		if err != nil || x == 0 {
			return err
		}
		if x != 1 {
			return fmt.Errorf("bad pointer marker %d", x)
		}
		p := reflect.New(v.Type().Elem())
		if err := d.value(p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				return fmt.Errorf("cannot decode %s's unexported field %s", t, t.Field(i).Name)
			}
			if err := d.value(v.Field(i)); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name(), t.Field(i).Name, err)
			}
		}
	case reflect.Interface:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		if x != 0 {
			return fmt.Errorf("cannot decode a %s", v.Type())
		}
	default:
		return fmt.Errorf("cannot decode a %s", v.Type())
	}
	return nil
}

// marshal encodes *ptr.
func marshal(ptr any) ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 4096)}
	if err := e.value(reflect.ValueOf(ptr).Elem()); err != nil {
		return nil, err
	}
	return e.b, nil
}

// unmarshal decodes b into *ptr, which must take all of b.
func unmarshal(b []byte, ptr any) error {
	d := &decoder{b: b}
	if err := d.value(reflect.ValueOf(ptr).Elem()); err != nil {
		return err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%d bytes left over", len(d.b))
	}
	return nil
}
