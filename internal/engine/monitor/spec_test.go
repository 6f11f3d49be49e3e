package monitor_test

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/fixture"
)

func readSpec(t *testing.T, bundle string) *specs.Spec     { return fixture.ReadSpec(t, bundle) }
func writeSpec(t *testing.T, bundle string, s *specs.Spec) { fixture.WriteSpec(t, bundle, s) }
func errorsAs(err error, target any) bool                  { return errors.As(err, target) }
