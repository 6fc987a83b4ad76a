package model_test

import (
	"testing"

	"github.com/fulcrum-lb/fulcrum/model"
)

func TestOutcome(t *testing.T) {
	if model.OK != 0 {
		t.Errorf("OK = %d, want the zero value", model.OK)
	}
	for _, tc := range []struct {
		o         model.Outcome
		name      string
		retryable bool
	}{
		{model.OK, "ok", false},
		{model.Failed, "failed", true},
		{model.Rejected, "rejected", true},
		{model.Timeout, "timeout", true},
		{model.NoBackend, "no-backend", false},
		{model.NoBackend + 1, "outcome?", false},
		{model.Outcome(255), "outcome?", false},
	} {
		if got := tc.o.String(); got != tc.name {
			t.Errorf("Outcome(%d).String() = %q, want %q", uint8(tc.o), got, tc.name)
		}
		if got := tc.o.Retryable(); got != tc.retryable {
			t.Errorf("%s.Retryable() = %v, want %v", tc.name, got, tc.retryable)
		}
	}
}
